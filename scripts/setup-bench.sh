#!/usr/bin/env bash
# Installs (as root, apt) or checks what `npm run bench` needs: everything the tests need (setup-test.sh:
# sshd + sshfs on loopback, rsync), plus the other reference tools it is measured against (unison, GNU time).
# Idempotent and quiet when everything is already there. Debian/Ubuntu (apt-get).
set -euo pipefail

bash "$(dirname "$0")/setup-test.sh"

missing=()
command -v unison >/dev/null 2>&1 || missing+=(unison)
[ -x /usr/bin/time ] || missing+=(time)

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
  for p in "${missing[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || { echo "setup-bench: could not install $p" >&2; exit 1; }
  done
fi
