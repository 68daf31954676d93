{
  "targets": [
    {
      "target_name": "inotify_addon",
      "sources": ["native/inotify_addon.c", "native/polled_fd.c", "native/fresh_stat.c", "native/fanotify.c", "native/xattr.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/inotify_addon.c", "native/polled_fd.c", "native/fresh_stat.c", "native/fanotify.c", "native/xattr.c"]}]]
    }
  ]
}
