/*
 * inotify for Node: one non-blocking inotify fd per handle, polled by libuv (uv_poll), raw event bytes
 * handed to a JS callback. The JS side (src/watch/inotify.ts) parses them. Node-API 8, plain C, no threads.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <uv.h>

/* At most this many read()s per wakeup, so a flood of events cannot starve the rest of the loop. */
#ifndef MAX_READS_PER_WAKEUP
#define MAX_READS_PER_WAKEUP 64
#endif
#ifndef READ_BUF_SIZE
#define READ_BUF_SIZE 65536
#endif

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref cb;
  napi_async_context ctx;
  int closed;          /* close() was called (or the env is going away): no more callbacks */
  int in_callback;     /* inside on_readable: JS resources are released when it returns */
  int handle_closed;   /* libuv has finished closing `poll` */
  int finalized;       /* the JS external is gone */
  char buf[READ_BUF_SIZE];
} Watcher;

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), NULL, "inotify addon: " #call " failed");    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
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

static void maybe_free(Watcher *w) {
  if (w->handle_closed && w->finalized) free(w);
}

static void on_poll_closed(uv_handle_t *h) {
  Watcher *w = h->data;
  w->handle_closed = 1;
  maybe_free(w);
}

/* The JS-side resources; only outside a callback (see in_callback). */
static void release_js(Watcher *w) {
  if (w->cb != NULL) {
    napi_delete_reference(w->env, w->cb);
    w->cb = NULL;
  }
  if (w->ctx != NULL) {
    napi_async_destroy(w->env, w->ctx);
    w->ctx = NULL;
  }
}

static void cleanup_hook(void *arg);

/* Stop polling and close the fd (which drops every watch). `w` stays valid until both the libuv handle is
 * closed and the JS external is finalized. */
static void shutdown_watcher(Watcher *w, int from_js) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  close(w->fd);
  w->fd = -1;
  uv_close((uv_handle_t *)&w->poll, on_poll_closed);
  if (!from_js) return; /* env teardown: Node drops the hook and the references itself */
  napi_remove_env_cleanup_hook(w->env, cleanup_hook, w);
  if (!w->in_callback) release_js(w);
}

/* The env is being torn down (process exit, worker end): close the libuv handle so the loop can close. */
static void cleanup_hook(void *arg) {
  Watcher *w = arg;
  shutdown_watcher(w, 0);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Watcher *w = data;
  w->finalized = 1;
  maybe_free(w);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  Watcher *w = h->data;
  if (status < 0 || w->closed) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  w->in_callback = 1;
  for (int i = 0; i < MAX_READS_PER_WAKEUP && !w->closed; i++) {
    ssize_t n = read(w->fd, w->buf, sizeof w->buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EAGAIN: drained */
    napi_value argv[1], cb, recv, result;
    void *data;
    if (napi_create_buffer_copy(w->env, (size_t)n, w->buf, &data, &argv[0]) != napi_ok) break;
    napi_get_reference_value(w->env, w->cb, &cb);
    napi_get_global(w->env, &recv); /* recv must be an object */
    /* make_callback runs the callback as a top-level async operation: nextTicks and microtasks drain after it. */
    if (napi_make_callback(w->env, w->ctx, recv, cb, 1, argv, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(w->env, &exc);
      napi_fatal_exception(w->env, exc);
      break;
    }
  }
  w->in_callback = 0;
  if (w->closed) release_js(w); /* close() was called from inside the callback */
  napi_close_handle_scope(w->env, scope);
}

static Watcher *get_watcher(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "inotify addon: not a handle");
    return NULL;
  }
  return data;
}

static Watcher *get_open_watcher(napi_env env, napi_value v) {
  Watcher *w = get_watcher(env, v);
  if (w != NULL && w->closed) {
    throw_errno(env, EBADF, "inotify (closed)");
    return NULL;
  }
  return w;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext, name;
  napi_valuetype type;
  uv_loop_t *loop;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "open(cb): cb must be a function");
    return NULL;
  }
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "inotify_init1");
  Watcher *w = calloc(1, sizeof *w);
  if (w == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  w->env = env;
  w->fd = fd;
  int rc;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || (rc = uv_poll_init(loop, &w->poll, fd)) != 0) {
    close(fd);
    free(w);
    napi_throw_error(env, NULL, "inotify addon: uv_poll_init failed");
    return NULL;
  }
  w->poll.data = w;
  napi_create_reference(env, argv[0], 1, &w->cb);
  napi_create_string_utf8(env, "inotify", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  napi_add_env_cleanup_hook(env, cleanup_hook, w);
  if ((rc = uv_poll_start(&w->poll, UV_READABLE, on_readable)) != 0 ||
      napi_create_external(env, w, finalize, NULL, &ext) != napi_ok) {
    shutdown_watcher(w, 1);
    w->finalized = 1; /* no external owns it: free when the handle is closed */
    napi_throw_error(env, NULL, "inotify addon: uv_poll_start failed");
    return NULL;
  }
  return ext;
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
  Watcher *w = get_open_watcher(env, argv[0]);
  if (w == NULL) return NULL;
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
  int wd = inotify_add_watch(w->fd, path, mask);
  if (wd < 0) return throw_errno(env, errno, "inotify_add_watch");
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
  Watcher *w = get_open_watcher(env, argv[0]);
  if (w == NULL) return NULL;
  if (napi_get_value_int32(env, argv[1], &wd) != napi_ok) {
    napi_throw_type_error(env, NULL, "rmWatch: wd must be a number");
    return NULL;
  }
  if (inotify_rm_watch(w->fd, wd) < 0) return throw_errno(env, errno, "inotify_rm_watch");
  return NULL;
}

static napi_value SetRef(napi_env env, napi_callback_info info, int ref) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Watcher *w = argc < 1 ? NULL : get_watcher(env, argv[0]);
  if (w == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  if (!w->closed) {
    if (ref)
      uv_ref((uv_handle_t *)&w->poll);
    else
      uv_unref((uv_handle_t *)&w->poll);
  }
  return NULL;
}

static napi_value Ref(napi_env env, napi_callback_info info) { return SetRef(env, info, 1); }
static napi_value Unref(napi_env env, napi_callback_info info) { return SetRef(env, info, 0); }

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Watcher *w = argc < 1 ? NULL : get_watcher(env, argv[0]);
  if (w == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  shutdown_watcher(w, 1);
  return NULL;
}

/* native/fresh_stat.c */
napi_value FreshStat(napi_env env, napi_callback_info info);
/* native/fanotify.c */
napi_value FanOpen(napi_env env, napi_callback_info info);
napi_value FanMark(napi_env env, napi_callback_info info);
napi_value FanRespond(napi_env env, napi_callback_info info);
napi_value FanFd(napi_env env, napi_callback_info info);
napi_value FanRef(napi_env env, napi_callback_info info);
napi_value FanUnref(napi_env env, napi_callback_info info);
napi_value FanClose(napi_env env, napi_callback_info info);
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
      {"ref", NULL, Ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unref", NULL, Unref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"freshStat", NULL, FreshStat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanOpen", NULL, FanOpen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanMark", NULL, FanMark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanRespond", NULL, FanRespond, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanFd", NULL, FanFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanRef", NULL, FanRef, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanUnref", NULL, FanUnref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fanClose", NULL, FanClose, NULL, NULL, NULL, napi_enumerable, NULL},
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
