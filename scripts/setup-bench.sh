#!/usr/bin/env bash
# Installs (as root, apt) or checks what `npm run bench` needs: sshd + sshfs (FUSE) on loopback for the
# remote, and the reference tools it is measured against (rsync, unison, GNU time).
# Idempotent and quiet when everything is already there. Debian/Ubuntu (apt-get).
set -euo pipefail

missing=()
command -v sshfs >/dev/null 2>&1 || missing+=(sshfs)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v fusermount >/dev/null 2>&1 || command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v unison >/dev/null 2>&1 || missing+=(unison)
[ -x /usr/bin/time ] || missing+=(time)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-bench: missing packages: ${missing[*]}" >&2
    echo "setup-bench: install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup-bench: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  still=()
  for p in "${missing[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || still+=("$p")
  done
  if [ "${#still[@]}" -gt 0 ]; then
    echo "setup-bench: could not install: ${still[*]}" >&2
    exit 1
  fi
fi

if [ ! -c /dev/fuse ]; then
  echo "setup-bench: /dev/fuse is missing: sshfs cannot mount here (in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)" >&2
  exit 1
fi

# sshd's privilege separation directory (the bench starts its own sshd on a loopback port).
if [ ! -d /run/sshd ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-bench: /run/sshd is missing; run as root: mkdir -p /run/sshd" >&2
    exit 1
  fi
  mkdir -p /run/sshd
fi
