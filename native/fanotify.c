/*
 * fanotify for Node: one non-blocking fanotify group per handle, polled by libuv (native/polled_fd.c), raw
 * event bytes handed to a JS callback. The JS side (src/hsm/events.ts) parses them and answers permission events.
 * Node-API 8, plain C, no threads. Same conventions as native/inotify_addon.c.
 *
 *   fanOpen(initFlags, eventFlags, cb: (chunk: Buffer) => void) -> handle
 *                                 fanotify_init(initFlags | FAN_NONBLOCK | FAN_CLOEXEC, eventFlags); throws
 *                                 with .code (EPERM without CAP_SYS_ADMIN, EINVAL for an unknown class)
 *   fanMark(handle, flags, mask, dirfd, path: Buffer | null)
 *                                 fanotify_mark; mask is a number up to 2^53; path null marks dirfd itself
 *   fanRespond(handle, fd, response)
 *                                 writes struct fanotify_response for a permission event
 *   fanFd(handle) -> number       the group's fd
 *   fanRef(handle), fanUnref(handle), fanClose(handle)   as ref/unref/close of the inotify handle
 *
 * A chunk always holds whole events. Each event with fd >= 0 carries an open file the JS side must close;
 * a permission event must be answered, or the program that caused it stays blocked. If cb throws, the
 * exception goes to process 'uncaughtException' and reading resumes on the next loop iteration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "polled_fd.h"

/* From Linux 6.14's include/uapi/linux/fanotify.h, for older installed headers. The JS side
 * (src/hsm/events.ts) uses the same numbers. */
#ifndef FAN_CLASS_PRE_CONTENT
#define FAN_CLASS_PRE_CONTENT 0x00000008
#endif
#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif
#ifndef FAN_DENY_ERRNO
#define FAN_ERRNO_BITS 8
#define FAN_ERRNO_SHIFT (32 - FAN_ERRNO_BITS)
#define FAN_ERRNO_MASK ((1 << FAN_ERRNO_BITS) - 1)
#define FAN_DENY_ERRNO(err) (FAN_DENY | ((((uint32_t)(err)) & FAN_ERRNO_MASK) << FAN_ERRNO_SHIFT))
#endif

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), NULL, "fanotify addon: " #call " failed");   \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

napi_value FanOpen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_valuetype type;
  uint32_t init_flags, event_flags;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &init_flags) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &event_flags) != napi_ok ||
      napi_typeof(env, argv[2], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "fanOpen(initFlags: number, eventFlags: number, cb: function)");
    return NULL;
  }
  int fd = fanotify_init(init_flags | FAN_NONBLOCK | FAN_CLOEXEC, event_flags);
  if (fd < 0) return lazysync_throw_errno(env, errno, "fanotify_init");
  return polled_fd_new(env, fd, argv[2], "fanotify");
}

napi_value FanMark(napi_env env, napi_callback_info info) {
  size_t argc = 5, len = 0;
  napi_value argv[5];
  napi_valuetype type;
  uint32_t flags;
  int64_t mask;
  int32_t dirfd;
  char *path = NULL;
  bool is_buffer = false;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "fanMark(handle, flags, mask, dirfd, path)");
    return NULL;
  }
  int group = polled_fd_of(env, argv[0]);
  if (group < 0) return NULL;
  if (napi_get_value_uint32(env, argv[1], &flags) != napi_ok ||
      napi_get_value_int64(env, argv[2], &mask) != napi_ok || mask < 0 ||
      napi_get_value_int32(env, argv[3], &dirfd) != napi_ok) {
    napi_throw_type_error(env, NULL, "fanMark: flags, mask and dirfd must be numbers");
    return NULL;
  }
  CHECK(env, napi_typeof(env, argv[4], &type));
  if (type != napi_null) {
    if (napi_is_buffer(env, argv[4], &is_buffer) != napi_ok || !is_buffer ||
        napi_get_buffer_info(env, argv[4], (void **)&path, &len) != napi_ok || len == 0 ||
        memchr(path, 0, len) != path + len - 1) {
      napi_throw_type_error(env, NULL, "fanMark: path must be null or a Buffer ending in its only NUL byte");
      return NULL;
    }
  }
  if (fanotify_mark(group, flags, (uint64_t)mask, dirfd, path) < 0) return lazysync_throw_errno(env, errno, "fanotify_mark");
  return NULL;
}

napi_value FanRespond(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  uint32_t response;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "fanRespond(handle, fd, response)");
    return NULL;
  }
  int group = polled_fd_of(env, argv[0]);
  if (group < 0) return NULL;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &response) != napi_ok) {
    napi_throw_type_error(env, NULL, "fanRespond: fd and response must be numbers");
    return NULL;
  }
  struct fanotify_response r = {.fd = fd, .response = response};
  ssize_t n;
  do n = write(group, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  if (n < 0) return lazysync_throw_errno(env, errno, "fanotify response");
  return NULL;
}

napi_value FanFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  int group = polled_fd_of(env, argv[0]);
  if (group < 0) return NULL;
  CHECK(env, napi_create_int32(env, group, &out));
  return out;
}

