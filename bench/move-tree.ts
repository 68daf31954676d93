// The tree of the move benchmark (bench/move.ts): one folder of many small files beside a few others, the
// two names it goes by, and the checks that a rename came through whole on a side.
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const NAMES = ['album', 'album-2026'] as const;
/** Files beside the renamed folder: they must come through untouched. */
export const OTHERS: Record<string, string> = {
  'notes.txt': 'notes\n',
  'docs/a.txt': 'a\n'.repeat(50),
  'docs/b.txt': 'b\n'.repeat(500),
};

const photo = (i: number): string => `p${String(i).padStart(4, '0')}.jpg`;
const content = (i: number): string => `photo ${i}\n`.padEnd(4096, '.');

export function makeTree(root: string, files: number): void {
  mkdirSync(path.join(root, NAMES[0]), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(path.join(root, NAMES[0], photo(i)), content(i));
  for (const [rel, body] of Object.entries(OTHERS)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), body);
  }
}

export const lstat = (p: string) => lstatSync(p, { throwIfNoEntry: false });

/** Regular files and symlinks under `dir` (0 when it does not exist). */
function countFiles(dir: string): number {
  if (!lstat(dir)?.isDirectory()) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

/** What is wrong with `root` after the folder went from `from` to `to` (empty: all is well). */
export function checkSide(
  root: string,
  o: { files: number; from: string; to: string; placeholdersTo?: string },
): string[] {
  const bad: string[] = [];
  if (lstat(path.join(root, o.from)) !== undefined) bad.push(`${o.from}/ still there`);
  const dir = path.join(root, o.to);
  if (!lstat(dir)?.isDirectory()) return [...bad, `${o.to}/ missing`];
  const names = readdirSync(dir);
  if (names.length !== o.files) bad.push(`${o.to}/ holds ${names.length} entries, not ${o.files}`);
  let wrong = 0;
  let links = 0;
  for (let i = 0; i < o.files; i++) {
    const p = path.join(dir, photo(i));
    const s = lstat(p);
    if (s?.isSymbolicLink() && o.placeholdersTo !== undefined) {
      // A placeholder: it must name the file's new path on the remote.
      if (readlinkSync(p) !== path.join(o.placeholdersTo, o.to, photo(i))) wrong++;
    } else if (s?.isSymbolicLink()) links++;
    else if (!s?.isFile() || readFileSync(p, 'utf8') !== content(i)) wrong++;
  }
  if (links > 0) bad.push(`${links} file(s) of ${o.to}/ are symlinks`);
  if (wrong > 0) bad.push(`${wrong} file(s) of ${o.to}/ missing or wrong`);
  for (const [rel, body] of Object.entries(OTHERS)) {
    const p = path.join(root, rel);
    if (o.placeholdersTo !== undefined && lstat(p)?.isSymbolicLink()) continue;
    if (!lstat(p)?.isFile() || readFileSync(p, 'utf8') !== body) bad.push(`${rel} missing or wrong`);
  }
  return bad;
}

export const versionsOf = (root: string): number => countFiles(path.join(root, '.lazysync', 'versions'));

export const versioned = (before: number, after: number): string[] =>
  after > before ? [`${after - before} new file(s) in .lazysync/versions`] : [];
