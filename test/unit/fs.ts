// Test helpers for the I/O layers: temp roots and byte-named files (paths are binary strings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under os.tmpdir(); remove it with `rmTmp`. */
export function makeTmp(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lazysync-${tag}-`));
}

export function rmTmp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function b(p: string): Buffer {
  return Buffer.from(p, 'latin1');
}

/** Write a file at the binary path `root/rel`, creating parent directories. */
export function put(root: string, rel: string, data: string | Buffer = 'x'): void {
  const slash = rel.lastIndexOf('/');
  if (slash > 0) fs.mkdirSync(b(`${root}/${rel.slice(0, slash)}`), { recursive: true });
  fs.writeFileSync(b(`${root}/${rel}`), data);
}

export function mkdir(root: string, rel: string): void {
  fs.mkdirSync(b(`${root}/${rel}`), { recursive: true });
}

export function link(root: string, rel: string, target: string): void {
  fs.symlinkSync(b(target), b(`${root}/${rel}`));
}

/** Names in a directory (binary strings). */
export function names(dir: string): string[] {
  return fs.readdirSync(b(dir), { encoding: 'buffer' }).map((n) => n.toString('latin1'));
}
