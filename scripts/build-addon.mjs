#!/usr/bin/env node
// npm's install step for lazysync: builds the inotify addon (binding.gyp) with node-gyp.
//
// node-gyp downloads Node's headers from nodejs.org unless told where they are (`nodedir`). A global
// install from the registry or a tarball reads no project .npmrc, so on a machine without internet access
// that download fails and the whole install with it. Most ways of installing Node (distribution packages,
// the official tarballs, nvm) put the headers next to the binary, in PREFIX/include/node: when the user
// has not chosen a nodedir, those are used, and the build needs no network at all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** PREFIX when PREFIX/include/node holds the headers node-gyp needs for a Node-API addon, else undefined. */
function headersBesideNode() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const include = path.join(prefix, 'include', 'node');
  const needed = ['node_api.h', 'common.gypi'];
  return needed.every((f) => fs.existsSync(path.join(include, f))) ? prefix : undefined;
}

function nodeGypCommand() {
  // npm tells its scripts where its own node-gyp is; a global node-gyp on PATH is the fallback.
  const bundled = process.env.npm_config_node_gyp;
  if (bundled !== undefined && bundled !== '' && fs.existsSync(bundled)) {
    return bundled.endsWith('.js') ? [process.execPath, bundled] : [bundled];
  }
  return ['node-gyp'];
}

const args = ['rebuild'];
const userNodedir = process.env.npm_config_nodedir;
if (userNodedir === undefined || userNodedir === '') {
  const local = headersBesideNode();
  if (local !== undefined) args.push(`--nodedir=${local}`);
}
const [cmd, ...pre] = nodeGypCommand();
const r = spawnSync(cmd, [...pre, ...args], { stdio: 'inherit' });
if (r.error !== undefined) {
  process.stderr.write(`lazysync: cannot run node-gyp to build the inotify addon: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
