#!/usr/bin/env bash
# Installs and prepares what the end-to-end tests need: the remotes they mount on loopback (sshd + sshfs,
# rclone, lighttpd's WebDAV + davfs2, samba + smbnetfs; all FUSE), rsync, and the tools that make the
# xfs and btrfs images the file placeholders' tests put the local folder on (ext4's are always there). The tests start and stop
# every server themselves, on random 127.0.0.1 ports; no system service is used or left running.
# Idempotent and quiet when everything is already there. Debian/Ubuntu (apt-get).
set -euo pipefail

missing=()
need() { # need PACKAGE TEST...: the package is missing unless the test succeeds
  local pkg=$1
  shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
need sshfs command -v sshfs
need openssh-server test -x /usr/sbin/sshd
need fuse3 command -v fusermount3
need rsync command -v rsync
need rclone command -v rclone
need davfs2 test -x /usr/sbin/mount.davfs
need lighttpd test -x /usr/sbin/lighttpd
need lighttpd-mod-webdav test -e /usr/lib/lighttpd/mod_webdav.so
need samba test -x /usr/sbin/smbd
need smbnetfs command -v smbnetfs
need xfsprogs command -v mkfs.xfs
need btrfs-progs command -v mkfs.btrfs
need git command -v git
need python3 command -v python3

as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test: $1; run as root:" >&2
    echo "  $2" >&2
    exit 1
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  as_root "missing ${missing[*]}" "apt-get update && apt-get install -y ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # davfs2 asks whether unprivileged users may mount; the tests mount as root, so the answer is no.
  echo 'davfs2 davfs2/suid_file boolean false' | debconf-set-selections
  # policy-rc.d exit 101 keeps the packages' postinst scripts from starting smbd, nmbd or lighttpd.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
  apt-get update -qq >/dev/null
  apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >/dev/null
  # Where services were started anyway (systemd ignoring policy-rc.d), stop them and keep them off:
  # the tests start their own servers and must not find the system's on the machine.
  if [ -d /run/systemd/system ]; then
    for unit in smbd nmbd samba-ad-dc lighttpd; do
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi

if [ ! -c /dev/fuse ]; then
  echo "setup-test: /dev/fuse is missing: FUSE mounts cannot work here (in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)" >&2
  exit 1
fi

# sshd's privilege separation directory (the tests start their own sshd on a loopback port).
if [ ! -d /run/sshd ]; then
  as_root "/run/sshd is missing" "mkdir -p /run/sshd"
  mkdir -p /run/sshd
fi

# mount.davfs keeps pid files here (root:davfs2, mode 1775); the package makes it, a reboot removes it.
if [ ! -d /var/run/mount.davfs ] && getent group davfs2 >/dev/null; then
  as_root "/var/run/mount.davfs is missing" "install -d -m 1775 -g davfs2 /var/run/mount.davfs"
  install -d -m 1775 -g davfs2 /var/run/mount.davfs
fi
