#!/usr/bin/env bash
# lazysync installed the way a user installs a package: `npm pack`, then `npm install -g` of the tarball
# into a temp prefix (from a folder outside the checkout, so the project's .npmrc is not read). Checks that
# the tarball holds the program and not the tests, that the installed `lazysync` runs with its native
# addon built, and that it really syncs: one pass between two local folders. Removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "pack-check: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/lazysync-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT

version=$(node -p "require('./package.json').version")
# prepack builds dist/ first.
npm pack --pack-destination "$work" --silent >/dev/null
tarball="$work/lazysync-$version.tgz"
[ -f "$tarball" ] || fail "npm pack made no $tarball"

contents=$(tar -tzf "$tarball")
for wanted in package/bin/lazysync.js package/dist/src/cli/main.js package/dist/src/store/migrations/001-init.sql \
  package/binding.gyp package/scripts/build-addon.mjs; do
  grep -qx "$wanted" <<<"$contents" || fail "the tarball lacks $wanted"
done
if grep -E '(^package/(test|bench|src)/|\.test\.js$|/testing[^/]*\.js$)' <<<"$contents"; then
  fail "the tarball holds tests or sources (listed above)"
fi

prefix="$work/prefix"
# Dependencies' install scripts (better-sqlite3 builds or fetches its binary) are allowed by name, as
# npm asks of global installs.
(cd "$work" && npm install -g --prefix "$prefix" --allow-scripts=lazysync,better-sqlite3 \
  --no-fund --no-audit --loglevel=error "$tarball" >"$work/install.log" 2>&1) ||
  { cat "$work/install.log" >&2; fail "npm install -g of the tarball failed"; }

bin="$prefix/bin/lazysync"
[ -x "$bin" ] || fail "no lazysync in $prefix/bin after the install"
[ -f "$prefix/lib/node_modules/lazysync/build/Release/inotify_addon.node" ] ||
  fail "the inotify addon was not built on install"

got=$("$bin" --version)
[ "$got" = "$version" ] || fail "lazysync --version printed '$got', expected '$version'"
"$bin" sync --help | grep -q -- '--remote' || fail "lazysync sync --help does not describe --remote"
"$bin" demo --help | grep -q -- '--keep' || fail "lazysync demo --help does not describe --keep"

# One real pass between two local folders (eager), each side with a file of its own.
remote="$work/remote" local="$work/local"
mkdir -p "$remote/sub" "$local"
echo "from the remote" >"$remote/sub/a.txt"
echo "from the local side" >"$local/b.txt"
(cd "$work" && "$bin" sync -r "$remote" -l "$local" -L n) >"$work/sync.log" 2>&1 ||
  { cat "$work/sync.log" >&2; fail "lazysync sync between two local folders failed"; }
[ "$(cat "$local/sub/a.txt")" = "from the remote" ] || fail "sub/a.txt did not reach the local folder"
[ "$(cat "$remote/b.txt")" = "from the local side" ] || fail "b.txt did not reach the remote folder"
[ -d "$remote/.lazysync" ] && [ -f "$local/.lazysync/state.db" ] || fail "no marker or archive after the pass"

echo "pack-check: lazysync $version packed, installed globally from the tarball, ran a real sync: ok"
