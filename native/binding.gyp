{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": ["strata_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
