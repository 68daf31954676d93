#!/usr/bin/env bash
# Installs and prepares what the end-to-end tests need: sshd + sshfs (FUSE) on loopback, and rsync.
# Idempotent and quiet when everything is already there. Debian/Ubuntu (apt-get).
set -euo pipefail

missing=()
command -v sshfs >/dev/null 2>&1 || missing+=(sshfs)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v fusermount >/dev/null 2>&1 || command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test: missing ${missing[*]}; run as root:" >&2
    echo "  apt-get update && apt-get install -y sshfs openssh-server fuse3 rsync" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq sshfs openssh-server fuse3 rsync >/dev/null
fi

if [ ! -c /dev/fuse ]; then
  echo "setup-test: /dev/fuse is missing: sshfs cannot mount here (in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)" >&2
  exit 1
fi

# sshd's privilege separation directory (the tests start their own sshd on a loopback port).
if [ ! -d /run/sshd ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test: /run/sshd is missing; run as root: mkdir -p /run/sshd" >&2
    exit 1
  fi
  mkdir -p /run/sshd
fi
