// PATH arguments of pin/unpin/free/versions/restore as the API wants them: absolute, symlinks left alone.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The absolute form of a path the user typed. Never resolves symlinks: a placeholder is a symlink into the
 * mount, and the pair's own path must be sent, not the remote one. Relative paths start from the shell's
 * logical working directory (`$PWD`, as `pwd` shows it) when it is the same folder as the process's, so
 * that a local folder reached through a symlinked parent keeps the name the pair was added with.
 */
export function absolutePath(p: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(logicalCwd(env, cwd), p);
}

function logicalCwd(env: NodeJS.ProcessEnv, cwd: string): string {
  const pwd = env['PWD'];
  if (pwd === undefined || !path.isAbsolute(pwd) || pwd === cwd) return cwd;
  try {
    const a = fs.statSync(pwd);
    const b = fs.statSync(cwd);
    return a.dev === b.dev && a.ino === b.ino ? pwd : cwd;
  } catch {
    return cwd;
  }
}

/** Whether the absolute `p` is the folder `root` or below it (by name, as the API matches it). */
export function isUnderFolder(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}
