// What the demo prints once it is ready: where things are and what to try, in a few lines a newcomer can
// paste into another terminal. Pure: everything it shows is passed in.
import path from 'node:path';

export interface ReadyFacts {
  local: string;
  server: string;
  port: number;
  /** How to run lazysync from another terminal, e.g. `lazysync` or `node /x/bin/lazysync.js`. */
  cli: string;
  /** The socket to name in the status command, when `status` would not find it by default. */
  socket?: string;
  /** About how long a change made on the server takes to show up locally. */
  serverDelaySeconds: number;
  /** Whether the demo's folder stays after Ctrl-C. */
  keep: boolean;
  /** The folder holding everything the demo made. */
  dir: string;
}

/** `s` as one shell word: unchanged when it is safe as it is, else in single quotes. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How the user runs lazysync: `lazysync` when that name on PATH is this very program, else node with the
 * absolute path of the script that is running, which works from any folder.
 */
export function cliCommand(script: string, lazysyncOnPath: string | undefined): string {
  if (lazysyncOnPath !== undefined && lazysyncOnPath === script) return 'lazysync';
  return `node ${shellWord(path.resolve(script))}`;
}

export function readyText(f: ReadyFacts): string {
  const plain = (s: string): boolean => shellWord(s) === s;
  const L = plain(f.local) ? '$L' : '"$L"';
  const S = plain(f.server) ? '$S' : '"$S"';
  const status = `${f.cli} status --watch${f.socket !== undefined ? ` --socket ${shellWord(f.socket)}` : ''}`;
  const tries: [string, string][] = [
    [`ls -l ${L}/notes`, 'placeholders: symlinks into the mount, nothing downloaded yet'],
    [`cat ${L}/notes/readme.txt`, 'opening one downloads it: `ls -l` shows a plain file now'],
    [`echo more >> ${L}/notes/readme.txt`, `the edit reaches the server: cat ${S}/notes/readme.txt`],
    [`rm ${L}/notes/todo.md`, `removed on the server too, a copy kept in ${S}/.lazysync/versions`],
    [
      `echo hi > ${S}/notes/news.txt`,
      `"another machine" adds a file: in ${L}/notes within ~${f.serverDelaySeconds} s`,
    ],
  ];
  const width = Math.max(...tries.map(([cmd]) => cmd.length));
  const end = f.keep
    ? `Ctrl-C stops the demo; its files stay in ${f.dir}.`
    : 'Ctrl-C stops the demo and removes everything it made.';
  return [
    '',
    `lazysync demo is ready: a real sshfs remote (sshd on 127.0.0.1:${f.port}), synced lazily to a local folder.`,
    '',
    'In another terminal, paste this line first ($L is your side, $S the server):',
    `  L=${shellWord(f.local)} S=${shellWord(f.server)}`,
    'then try:',
    ...tries.map(([cmd, what]) => `  ${cmd.padEnd(width)}   ${what}`),
    `and watch what lazysync does: ${status}`,
    '',
    end,
    '',
  ].join('\n');
}
