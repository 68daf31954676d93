/*
 * freshStat(path: Buffer) -> Promise<{ mode, size, mtimeSec, mtimeNsec }>
 *
 * The attributes of a file as the server has them now, past the caches of a network mount. Node's stat
 * calls are answered from the kernel's attribute cache (FUSE keeps attributes for about a second) and from
 * the mount's own cache (sshfs: about 20 s), so a file edited on the server a moment ago still shows its
 * old size and mtime. Opening the file makes the mount ask the server (sshfs refreshes its cache on open;
 * NFS revalidates on open), and statx with AT_STATX_FORCE_SYNC on that descriptor makes the kernel ask the
 * mount instead of its own cache. Runs on libuv's thread pool: both calls may be a network round trip.
 *
 * The open never follows a symlink (O_NOFOLLOW: ELOOP means the path is a symlink), never blocks on a FIFO
 * (O_NONBLOCK) and reads nothing. Rejections are Errors with .code ('ENOENT', 'ELOOP', ...) and .syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int err;
  const char *syscall;
  struct statx st;
} FreshStatJob;

static void fresh_stat_execute(napi_env env, void *data) {
  (void)env;
  FreshStatJob *job = data;
  int fd = open(job->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME,
            &job->st) != 0) {
    job->err = errno;
    job->syscall = "statx";
  }
  close(fd);
}

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *path) {
  char msg[512];
  napi_value error, message, code, errnum, sc;
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", name, uv_strerror(-err), syscall, path);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, -err, &errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_create_error(env, code, message, &error);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", sc);
  return error;
}

static void fresh_stat_complete(napi_env env, napi_status status, void *data) {
  FreshStatJob *job = data;
  if (status != napi_ok) {
    napi_value message, error;
    napi_create_string_utf8(env, "freshStat was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else if (job->err != 0) {
    napi_reject_deferred(env, job->deferred, errno_error(env, job->err, job->syscall, job->path));
  } else {
    napi_value out;
    napi_create_object(env, &out);
    napi_set_named_property(env, out, "mode", number(env, job->st.stx_mode));
    napi_set_named_property(env, out, "size", number(env, (double)job->st.stx_size));
    napi_set_named_property(env, out, "mtimeSec", number(env, (double)job->st.stx_mtime.tv_sec));
    napi_set_named_property(env, out, "mtimeNsec", number(env, job->st.stx_mtime.tv_nsec));
    napi_resolve_deferred(env, job->deferred, out);
  }
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job);
}

napi_value FreshStat(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise, name;
  void *bytes;
  size_t len;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[0], &bytes, &len) != napi_ok || memchr(bytes, 0, len) != NULL) {
    napi_throw_type_error(env, NULL, "freshStat: the path must be a Buffer without NUL bytes");
    return NULL;
  }
  FreshStatJob *job = calloc(1, sizeof *job);
  if (job == NULL || (job->path = malloc(len + 1)) == NULL) {
    free(job);
    napi_throw_error(env, NULL, "freshStat: out of memory");
    return NULL;
  }
  memcpy(job->path, bytes, len);
  job->path[len] = '\0';
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "lazysync:freshStat", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, fresh_stat_execute, fresh_stat_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}
