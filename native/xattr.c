/*
 * Extended attributes for Node, blocking: only for files on a local disk (a placeholder's marker).
 *
 *   getXattr(path: Buffer, name: string) -> Buffer | null       null when the file has no such attribute
 *   fgetXattr(fd: number, name: string) -> Buffer | null
 *   setXattr(path: Buffer, name: string, value: Buffer)
 *   removeXattr(path: Buffer, name: string), fremoveXattr(fd: number, name: string)
 *                                                                a missing attribute is not an error
 *   holdsData(path: Buffer) -> boolean                           whether any byte of the file is data, not
 *                                                                a hole (lseek SEEK_DATA): a placeholder
 *                                                                written to while nothing watched it has some
 *
 * Paths never follow a symlink (the l* calls): a link placeholder points into the network mount, and its
 * attributes are never the target's. A path Buffer may end in one NUL byte; it holds no other NUL.
 * Errors are as in native/polled_fd.c: .code, .errno (negative) and .syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "polled_fd.h" /* lazysync_throw_errno */

#define NAME_MAX_BYTES 256

/* A NUL-terminated copy of a path Buffer (malloc'd), or NULL with a TypeError thrown. */
static char *path_arg(napi_env env, napi_value v, const char *fn) {
  bool is_buffer = false;
  char *data = NULL;
  size_t len = 0;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, v, (void **)&data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, fn);
    return NULL;
  }
  if (len > 0 && data[len - 1] == 0) len--;
  if (len == 0 || memchr(data, 0, len) != NULL) {
    napi_throw_type_error(env, NULL, fn);
    return NULL;
  }
  char *out = malloc(len + 1);
  if (out == NULL) {
    lazysync_throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  memcpy(out, data, len);
  out[len] = 0;
  return out;
}

static int name_arg(napi_env env, napi_value v, char name[NAME_MAX_BYTES], const char *fn) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, name, NAME_MAX_BYTES, &len) != napi_ok || len == 0 ||
      len >= NAME_MAX_BYTES - 1) {
    napi_throw_type_error(env, NULL, fn);
    return 0;
  }
  return 1;
}

/* The attribute's value through `get` (lgetxattr or fgetxattr), growing the buffer while it changes size. */
static napi_value read_value(napi_env env, ssize_t (*get)(const void *, const char *, void *, size_t),
                             const void *target, const char *name, const char *syscall) {
  napi_value out;
  for (int tries = 0; tries < 8; tries++) {
    ssize_t size = get(target, name, NULL, 0);
    if (size < 0) {
      if (errno == ENODATA) {
        napi_get_null(env, &out);
        return out;
      }
      return lazysync_throw_errno(env, errno, syscall);
    }
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) return lazysync_throw_errno(env, ENOMEM, "malloc");
    ssize_t n = get(target, name, buf, (size_t)size);
    if (n < 0) {
      int err = errno;
      free(buf);
      if (err == ERANGE) continue; /* it grew meanwhile */
      if (err == ENODATA) {
        napi_get_null(env, &out);
        return out;
      }
      return lazysync_throw_errno(env, err, syscall);
    }
    void *data;
    napi_status st = napi_create_buffer_copy(env, (size_t)n, buf, &data, &out);
    free(buf);
    if (st != napi_ok) {
      napi_throw_error(env, NULL, "xattr addon: napi_create_buffer_copy failed");
      return NULL;
    }
    return out;
  }
  return lazysync_throw_errno(env, ERANGE, syscall);
}

static ssize_t get_by_path(const void *target, const char *name, void *buf, size_t size) {
  return lgetxattr(target, name, buf, size);
}

static ssize_t get_by_fd(const void *target, const char *name, void *buf, size_t size) {
  return fgetxattr(*(const int *)target, name, buf, size);
}

napi_value GetXattr(napi_env env, napi_callback_info info) {
  const char *usage = "getXattr(path: Buffer, name: string)";
  size_t argc = 2;
  napi_value argv[2], out;
  char name[NAME_MAX_BYTES];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!name_arg(env, argv[1], name, usage)) return NULL;
  char *path = path_arg(env, argv[0], usage);
  if (path == NULL) return NULL;
  out = read_value(env, get_by_path, path, name, "lgetxattr");
  free(path);
  return out;
}

napi_value FgetXattr(napi_env env, napi_callback_info info) {
  const char *usage = "fgetXattr(fd: number, name: string)";
  size_t argc = 2;
  napi_value argv[2];
  char name[NAME_MAX_BYTES];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!name_arg(env, argv[1], name, usage)) return NULL;
  int target = fd;
  return read_value(env, get_by_fd, &target, name, "fgetxattr");
}

napi_value SetXattr(napi_env env, napi_callback_info info) {
  const char *usage = "setXattr(path: Buffer, name: string, value: Buffer)";
  size_t argc = 3, len = 0;
  napi_value argv[3];
  char name[NAME_MAX_BYTES];
  void *value = NULL;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_is_buffer(env, argv[2], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[2], &value, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!name_arg(env, argv[1], name, usage)) return NULL;
  char *path = path_arg(env, argv[0], usage);
  if (path == NULL) return NULL;
  int rc = lsetxattr(path, name, len > 0 ? value : "", len, 0);
  int err = errno;
  free(path);
  if (rc < 0) return lazysync_throw_errno(env, err, "lsetxattr");
  return NULL;
}

napi_value RemoveXattr(napi_env env, napi_callback_info info) {
  const char *usage = "removeXattr(path: Buffer, name: string)";
  size_t argc = 2;
  napi_value argv[2];
  char name[NAME_MAX_BYTES];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!name_arg(env, argv[1], name, usage)) return NULL;
  char *path = path_arg(env, argv[0], usage);
  if (path == NULL) return NULL;
  int rc = lremovexattr(path, name);
  int err = errno;
  free(path);
  if (rc < 0 && err != ENODATA) return lazysync_throw_errno(env, err, "lremovexattr");
  return NULL;
}

napi_value FremoveXattr(napi_env env, napi_callback_info info) {
  const char *usage = "fremoveXattr(fd: number, name: string)";
  size_t argc = 2;
  napi_value argv[2];
  char name[NAME_MAX_BYTES];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!name_arg(env, argv[1], name, usage)) return NULL;
  if (fremovexattr(fd, name) < 0 && errno != ENODATA) return lazysync_throw_errno(env, errno, "fremovexattr");
  return NULL;
}

napi_value HoldsData(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "holdsData(path)");
    return NULL;
  }
  char *path = path_arg(env, argv[0], "holdsData: the path must be a Buffer without NUL bytes");
  if (path == NULL) return NULL;
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = open(path, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(path, flags); /* O_NOATIME needs the owner or CAP_FOWNER */
  int err = errno;
  free(path);
  if (fd < 0) return lazysync_throw_errno(env, err, "open");
  off_t at = lseek(fd, 0, SEEK_DATA);
  err = errno;
  close(fd);
  if (at < 0 && err != ENXIO) return lazysync_throw_errno(env, err, "lseek");
  napi_value result;
  napi_get_boolean(env, at >= 0, &result);
  return result;
}
