/*
 * fanotify for Node: one non-blocking fanotify group per handle, polled by libuv (uv_poll), raw event bytes
 * handed to a JS callback. The JS side (src/hsm/events.ts) parses them and answers permission events.
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
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>
#include <uv.h>

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

#ifndef FAN_MAX_READS_PER_WAKEUP
#define FAN_MAX_READS_PER_WAKEUP 64
#endif
/* Permission events with a range record are 56 bytes: a read takes about a thousand at once. */
#define FAN_READ_BUF_SIZE 65536

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref cb;
  napi_async_context ctx;
  int closed;        /* fanClose() was called (or the env is going away): no more callbacks */
  int in_callback;   /* inside on_readable: JS resources are released when it returns */
  int handle_closed; /* libuv has finished closing `poll` */
  int finalized;     /* the JS external is gone */
  char buf[FAN_READ_BUF_SIZE];
} Group;

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), NULL, "fanotify addon: " #call " failed");   \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

/* An Error with .code, .errno (negative) and .syscall, as Node's fs errors and the inotify addon's. */
napi_value lazysync_throw_errno(napi_env env, int err, const char *syscall) {
  char msg[256];
  napi_value error, message, code, errnum, sc;
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s: %s, %s", name, uv_strerror(-err), syscall);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, -err, &errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static void maybe_free(Group *g) {
  if (g->handle_closed && g->finalized) free(g);
}

static void on_poll_closed(uv_handle_t *h) {
  Group *g = h->data;
  g->handle_closed = 1;
  maybe_free(g);
}

static void release_js(Group *g) {
  if (g->cb != NULL) {
    napi_delete_reference(g->env, g->cb);
    g->cb = NULL;
  }
  if (g->ctx != NULL) {
    napi_async_destroy(g->env, g->ctx);
    g->ctx = NULL;
  }
}

static void cleanup_hook(void *arg);

/* Stop polling and close the group's fd: the kernel answers every event still pending FAN_ALLOW and drops
 * every mark. `g` stays valid until both the libuv handle is closed and the JS external is finalized. */
static void shutdown_group(Group *g, int from_js) {
  if (g->closed) return;
  g->closed = 1;
  uv_poll_stop(&g->poll);
  close(g->fd);
  g->fd = -1;
  uv_close((uv_handle_t *)&g->poll, on_poll_closed);
  if (!from_js) return;
  napi_remove_env_cleanup_hook(g->env, cleanup_hook, g);
  if (!g->in_callback) release_js(g);
}

static void cleanup_hook(void *arg) { shutdown_group(arg, 0); }

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Group *g = data;
  g->finalized = 1;
  maybe_free(g);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  Group *g = h->data;
  if (status < 0 || g->closed) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(g->env, &scope) != napi_ok) return;
  g->in_callback = 1;
  for (int i = 0; i < FAN_MAX_READS_PER_WAKEUP && !g->closed; i++) {
    ssize_t n = read(g->fd, g->buf, sizeof g->buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EAGAIN: drained */
    napi_value argv[1], cb, recv, result;
    void *data;
    if (napi_create_buffer_copy(g->env, (size_t)n, g->buf, &data, &argv[0]) != napi_ok) break;
    napi_get_reference_value(g->env, g->cb, &cb);
    napi_get_global(g->env, &recv);
    if (napi_make_callback(g->env, g->ctx, recv, cb, 1, argv, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(g->env, &exc);
      napi_fatal_exception(g->env, exc);
      break;
    }
  }
  g->in_callback = 0;
  if (g->closed) release_js(g);
  napi_close_handle_scope(g->env, scope);
}

static Group *get_group(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "fanotify addon: not a handle");
    return NULL;
  }
  return data;
}

static Group *get_open_group(napi_env env, napi_value v) {
  Group *g = get_group(env, v);
  if (g != NULL && g->closed) {
    lazysync_throw_errno(env, EBADF, "fanotify (closed)");
    return NULL;
  }
  return g;
}

napi_value FanOpen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], ext, name;
  napi_valuetype type;
  uint32_t init_flags, event_flags;
  uv_loop_t *loop;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &init_flags) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &event_flags) != napi_ok ||
      napi_typeof(env, argv[2], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "fanOpen(initFlags: number, eventFlags: number, cb: function)");
    return NULL;
  }
  int fd = fanotify_init(init_flags | FAN_NONBLOCK | FAN_CLOEXEC, event_flags);
  if (fd < 0) return lazysync_throw_errno(env, errno, "fanotify_init");
  Group *g = calloc(1, sizeof *g);
  if (g == NULL) {
    close(fd);
    return lazysync_throw_errno(env, ENOMEM, "calloc");
  }
  g->env = env;
  g->fd = fd;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &g->poll, fd) != 0) {
    close(fd);
    free(g);
    napi_throw_error(env, NULL, "fanotify addon: uv_poll_init failed");
    return NULL;
  }
  g->poll.data = g;
  napi_create_reference(env, argv[2], 1, &g->cb);
  napi_create_string_utf8(env, "fanotify", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &g->ctx);
  napi_add_env_cleanup_hook(env, cleanup_hook, g);
  if (uv_poll_start(&g->poll, UV_READABLE, on_readable) != 0 ||
      napi_create_external(env, g, finalize, NULL, &ext) != napi_ok) {
    shutdown_group(g, 1);
    g->finalized = 1;
    napi_throw_error(env, NULL, "fanotify addon: uv_poll_start failed");
    return NULL;
  }
  return ext;
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
  Group *g = get_open_group(env, argv[0]);
  if (g == NULL) return NULL;
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
  if (fanotify_mark(g->fd, flags, (uint64_t)mask, dirfd, path) < 0) return lazysync_throw_errno(env, errno, "fanotify_mark");
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
  Group *g = get_open_group(env, argv[0]);
  if (g == NULL) return NULL;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &response) != napi_ok) {
    napi_throw_type_error(env, NULL, "fanRespond: fd and response must be numbers");
    return NULL;
  }
  struct fanotify_response r = {.fd = fd, .response = response};
  ssize_t n;
  do n = write(g->fd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  if (n < 0) return lazysync_throw_errno(env, errno, "fanotify response");
  return NULL;
}

napi_value FanFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Group *g = argc < 1 ? NULL : get_open_group(env, argv[0]);
  if (g == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  CHECK(env, napi_create_int32(env, g->fd, &out));
  return out;
}

static napi_value SetRef(napi_env env, napi_callback_info info, int ref) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Group *g = argc < 1 ? NULL : get_group(env, argv[0]);
  if (g == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  if (!g->closed) {
    if (ref)
      uv_ref((uv_handle_t *)&g->poll);
    else
      uv_unref((uv_handle_t *)&g->poll);
  }
  return NULL;
}

napi_value FanRef(napi_env env, napi_callback_info info) { return SetRef(env, info, 1); }
napi_value FanUnref(napi_env env, napi_callback_info info) { return SetRef(env, info, 0); }

napi_value FanClose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Group *g = argc < 1 ? NULL : get_group(env, argv[0]);
  if (g == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  shutdown_group(g, 1);
  return NULL;
}
