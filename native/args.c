// Arguments in, numbers and buffers out: the conversions every area of the helper uses.
#include "helper.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int32_t int_arg(napi_env env, napi_callback_info info, size_t index, int *ok) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t value = 0;
  *ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && index < argc &&
        napi_get_value_int32(env, argv[index], &value) == napi_ok;
  return value;
}

napi_value number(napi_env env, int32_t value) {
  napi_value out;
  napi_create_int32(env, value, &out);
  return out;
}

napi_value bytes(napi_env env, const void *data, size_t length) {
  napi_value out;
  void *copy;
  if (napi_create_buffer_copy(env, length, data, &copy, &out) != napi_ok) return number(env, -ENOMEM);
  return out;
}

// A path argument copied to `buf` (NUL-terminated); 0 when it is no string or does not fit.
int path_arg(napi_env env, napi_value value, char *buf, size_t size) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, buf, size, &length) != napi_ok) return 0;
  // Too long (truncated), or a NUL inside (C would see a shorter, other path).
  return length + 1 < size && strlen(buf) == length;
}
