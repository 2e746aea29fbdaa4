{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": ["strata_native.c", "args.c", "handles.c", "hot-paths.c", "names.c", "watch-queue.c", "queue-ring.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
