// The helper's module: one function per export (helper.h lists them by area).
#include "helper.h"

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_function(env, exports, "fileHandle", file_handle);
  export_function(env, exports, "fsUuid", fs_uuid);
  export_function(env, exports, "lstatInto", lstat_into);
  export_function(env, exports, "readFileIf", read_file_if);
  export_function(env, exports, "readFileBeneath", read_file_beneath);
  export_function(env, exports, "renameAt2", rename_at2);
  export_function(env, exports, "mknodAt", mknod_at);
  export_function(env, exports, "flockExclusive", flock_exclusive);
  export_function(env, exports, "watchQueueOpen", watch_queue_open);
  export_function(env, exports, "watchQueueAdd", watch_queue_add);
  export_function(env, exports, "watchQueueRemove", watch_queue_remove);
  export_function(env, exports, "watchQueueRead", watch_queue_read);
  export_function(env, exports, "watchQueueRing", watch_queue_ring);
  export_function(env, exports, "watchQueueArm", watch_queue_arm);
  return exports;
}
