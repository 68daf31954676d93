/*
 * See polled_fd.h. Node-API 8, plain C, no threads. If the callback throws, the exception goes to process
 * 'uncaughtException' (napi_fatal_exception) and reading resumes on the next loop iteration: the poll is
 * level-triggered, so nothing queued is lost.
 */
#include "polled_fd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

/* At most this many read()s per wakeup, so a flood of events cannot starve the rest of the loop. */
#define MAX_READS_PER_WAKEUP 64
/* A read takes whole events up to this many bytes (a thousand fanotify permission events with a range). */
#define READ_BUF_SIZE 65536

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref cb;
  napi_async_context ctx;
  int closed;        /* close() was called (or the env is going away): no more callbacks */
  int in_callback;   /* inside on_readable: JS resources are released when it returns */
  int handle_closed; /* libuv has finished closing `poll` */
  int finalized;     /* the JS external is gone */
  char buf[READ_BUF_SIZE];
} Polled;

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

static void maybe_free(Polled *p) {
  if (p->handle_closed && p->finalized) free(p);
}

static void on_poll_closed(uv_handle_t *h) {
  Polled *p = h->data;
  p->handle_closed = 1;
  maybe_free(p);
}

/* The JS-side resources; only outside a callback (see in_callback). */
static void release_js(Polled *p) {
  if (p->cb != NULL) {
    napi_delete_reference(p->env, p->cb);
    p->cb = NULL;
  }
  if (p->ctx != NULL) {
    napi_async_destroy(p->env, p->ctx);
    p->ctx = NULL;
  }
}

static void cleanup_hook(void *arg);

/* Stop polling and close the fd. `p` stays valid until both the libuv handle is closed and the JS external
 * is finalized. */
static void shut(Polled *p, int from_js) {
  if (p->closed) return;
  p->closed = 1;
  uv_poll_stop(&p->poll);
  close(p->fd);
  p->fd = -1;
  uv_close((uv_handle_t *)&p->poll, on_poll_closed);
  if (!from_js) return; /* env teardown: Node drops the hook and the references itself */
  napi_remove_env_cleanup_hook(p->env, cleanup_hook, p);
  if (!p->in_callback) release_js(p);
}

/* The env is being torn down (process exit, worker end): close the libuv handle so the loop can close. */
static void cleanup_hook(void *arg) { shut(arg, 0); }

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Polled *p = data;
  p->finalized = 1;
  maybe_free(p);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  Polled *p = h->data;
  if (status < 0 || p->closed) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(p->env, &scope) != napi_ok) return;
  p->in_callback = 1;
  for (int i = 0; i < MAX_READS_PER_WAKEUP && !p->closed; i++) {
    ssize_t n = read(p->fd, p->buf, sizeof p->buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EAGAIN: drained */
    napi_value argv[1], cb, recv, result;
    void *data;
    if (napi_create_buffer_copy(p->env, (size_t)n, p->buf, &data, &argv[0]) != napi_ok) break;
    napi_get_reference_value(p->env, p->cb, &cb);
    napi_get_global(p->env, &recv); /* recv must be an object */
    /* make_callback runs the callback as a top-level async operation: nextTicks and microtasks drain after it. */
    if (napi_make_callback(p->env, p->ctx, recv, cb, 1, argv, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(p->env, &exc);
      napi_fatal_exception(p->env, exc);
      break;
    }
  }
  p->in_callback = 0;
  if (p->closed) release_js(p); /* close() was called from inside the callback */
  napi_close_handle_scope(p->env, scope);
}

napi_value polled_fd_new(napi_env env, int fd, napi_value cb, const char *name) {
  napi_value ext, resource;
  uv_loop_t *loop;
  Polled *p = calloc(1, sizeof *p);
  if (p == NULL) {
    close(fd);
    return lazysync_throw_errno(env, ENOMEM, "calloc");
  }
  p->env = env;
  p->fd = fd;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &p->poll, fd) != 0) {
    close(fd);
    free(p);
    napi_throw_error(env, NULL, "lazysync addon: uv_poll_init failed");
    return NULL;
  }
  p->poll.data = p;
  napi_create_reference(env, cb, 1, &p->cb);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_async_init(env, NULL, resource, &p->ctx);
  napi_add_env_cleanup_hook(env, cleanup_hook, p);
  if (uv_poll_start(&p->poll, UV_READABLE, on_readable) != 0 ||
      napi_create_external(env, p, finalize, NULL, &ext) != napi_ok) {
    shut(p, 1);
    p->finalized = 1; /* no external owns it: free when the handle is closed */
    napi_throw_error(env, NULL, "lazysync addon: uv_poll_start failed");
    return NULL;
  }
  return ext;
}

static Polled *polled_of(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "lazysync addon: not a handle");
    return NULL;
  }
  return data;
}

int polled_fd_of(napi_env env, napi_value handle) {
  Polled *p = polled_of(env, handle);
  if (p == NULL) return -1;
  if (p->closed) {
    lazysync_throw_errno(env, EBADF, "(closed handle)");
    return -1;
  }
  return p->fd;
}

/* The handle that is a call's only argument, or NULL with an error thrown. */
static Polled *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "missing handle");
    return NULL;
  }
  return polled_of(env, argv[0]);
}

static napi_value set_ref(napi_env env, napi_callback_info info, int ref) {
  Polled *p = handle_arg(env, info);
  if (p != NULL && !p->closed) {
    if (ref)
      uv_ref((uv_handle_t *)&p->poll);
    else
      uv_unref((uv_handle_t *)&p->poll);
  }
  return NULL;
}

napi_value PolledRef(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }
napi_value PolledUnref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }

napi_value PolledClose(napi_env env, napi_callback_info info) {
  Polled *p = handle_arg(env, info);
  if (p != NULL) shut(p, 1);
  return NULL;
}
