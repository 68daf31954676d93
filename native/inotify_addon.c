/*
 * inotify for Node: one non-blocking inotify fd per handle, polled by libuv (native/polled_fd.c), raw event
 * bytes handed to a JS callback. The JS side (src/watch/inotify.ts) parses them. Node-API 8, plain C, no threads.
 *
 *   open(cb: (chunk: Buffer) => void) -> handle   throws on inotify_init1 failure (EMFILE: max_user_instances)
 *   addWatch(handle, path: Buffer (NUL-terminated), mask: number) -> wd
 *   rmWatch(handle, wd)
 *   ref(handle), unref(handle)                     whether the handle keeps the event loop alive
 *   close(handle)                                  idempotent; safe from inside cb
 *
 * Errors from system calls are Errors with .code ('ENOENT', 'ENOSPC', ...), .errno (negative, as in Node's
 * fs errors) and .syscall. A chunk always holds whole events (the kernel never splits one across reads).
 * If cb throws, the exception goes to process 'uncaughtException' (napi_fatal_exception) and reading
 * resumes on the next loop iteration: the poll is level-triggered, so nothing queued is lost.
 */
#include <errno.h>
#include <node_api.h>
#include <stdbool.h>
#include <string.h>
#include <sys/inotify.h>

#include "polled_fd.h"

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), NULL, "inotify addon: " #call " failed");    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "open(cb): cb must be a function");
    return NULL;
  }
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return lazysync_throw_errno(env, errno, "inotify_init1");
  return polled_fd_new(env, fd, argv[0], "inotify");
}

static napi_value AddWatch(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3], out;
  char *path = NULL;
  uint32_t mask;
  bool is_buffer = false;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "addWatch(handle, path, mask)");
    return NULL;
  }
  int fd = polled_fd_of(env, argv[0]);
  if (fd < 0) return NULL;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[1], (void **)&path, &len) != napi_ok || len == 0 ||
      memchr(path, 0, len) != path + len - 1) {
    napi_throw_type_error(env, NULL, "addWatch: path must be a Buffer ending in its only NUL byte");
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[2], &mask) != napi_ok) {
    napi_throw_type_error(env, NULL, "addWatch: mask must be a number");
    return NULL;
  }
  int wd = inotify_add_watch(fd, path, mask);
  if (wd < 0) return lazysync_throw_errno(env, errno, "inotify_add_watch");
  CHECK(env, napi_create_int32(env, wd, &out));
  return out;
}

static napi_value RmWatch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t wd;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "rmWatch(handle, wd)");
    return NULL;
  }
  int fd = polled_fd_of(env, argv[0]);
  if (fd < 0) return NULL;
  if (napi_get_value_int32(env, argv[1], &wd) != napi_ok) {
    napi_throw_type_error(env, NULL, "rmWatch: wd must be a number");
    return NULL;
  }
  if (inotify_rm_watch(fd, wd) < 0) return lazysync_throw_errno(env, errno, "inotify_rm_watch");
  return NULL;
}

/* native/fresh_stat.c */
napi_value FreshStat(napi_env env, napi_callback_info info);
/* native/fanotify.c */
napi_value FanOpen(napi_env env, napi_callback_info info);
napi_value FanMark(napi_env env, napi_callback_info info);
napi_value FanRespond(napi_env env, napi_callback_info info);
napi_value FanFd(napi_env env, napi_callback_info info);
/* native/xattr.c */
napi_value GetXattr(napi_env env, napi_callback_info info);
napi_value FgetXattr(napi_env env, napi_callback_info info);
napi_value SetXattr(napi_env env, napi_callback_info info);
napi_value RemoveXattr(napi_env env, napi_callback_info info);
napi_value FremoveXattr(napi_env env, napi_callback_info info);
napi_value HoldsData(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addWatch", NULL, AddWatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmWatch", NULL, RmWatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, PolledRef, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unref", NULL, PolledUnref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, PolledClose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"freshStat", NULL, FreshStat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanOpen", NULL, FanOpen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanMark", NULL, FanMark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanRespond", NULL, FanRespond, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanFd", NULL, FanFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanRef", NULL, PolledRef, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanUnref", NULL, PolledUnref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanClose", NULL, PolledClose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getXattr", NULL, GetXattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fgetXattr", NULL, FgetXattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setXattr", NULL, SetXattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"removeXattr", NULL, RemoveXattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fremoveXattr", NULL, FremoveXattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"holdsData", NULL, HoldsData, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
