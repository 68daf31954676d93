/*
 * A kernel event fd (inotify, fanotify) for Node: owned by a JS handle, polled by libuv (uv_poll), the raw
 * bytes of each read handed to a JS callback. Shared by native/inotify_addon.c and native/fanotify.c.
 */
#ifndef LAZYSYNC_POLLED_FD_H
#define LAZYSYNC_POLLED_FD_H
#include <node_api.h>

/* An Error with .code ('ENOENT', ...), .errno (negative, as Node's fs errors) and .syscall, thrown. */
napi_value lazysync_throw_errno(napi_env env, int err, const char *syscall);

/* A new handle owning the non-blocking `fd`: from now on each read's bytes go to `cb` (whole events: the
 * kernel never splits one across reads). `fd` is closed on failure too. `name` names the async resource. */
napi_value polled_fd_new(napi_env env, int fd, napi_value cb, const char *name);

/* The fd of an open handle; -1 with an error thrown if `handle` is not one or is closed. */
int polled_fd_of(napi_env env, napi_value handle);

/* ref(handle), unref(handle): whether the handle keeps the event loop alive. close(handle): idempotent, safe
 * from inside the callback; closing the fd ends its watches (and, for fanotify, allows what is pending). */
napi_value PolledRef(napi_env env, napi_callback_info info);
napi_value PolledUnref(napi_env env, napi_callback_info info);
napi_value PolledClose(napi_env env, napi_callback_info info);

#endif
