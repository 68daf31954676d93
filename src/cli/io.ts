// Where client commands write: stdout for results, stderr for errors, so tests can capture both.

export interface Io {
  /** Writes text to stdout as it is (for redraws). */
  write(text: string): void;
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one error line to stderr, prefixed `lazysync: ` like every error. */
  err(line: string): void;
  /** stdout is a terminal. */
  readonly tty: boolean;
  /** Where progress bars go: stderr when it is a terminal, else none (plain output). */
  readonly progress: NodeJS.WriteStream | undefined;
}

let guarded = false;

/**
 * The reader of stdout went away (`lazysync status --watch | head`): there is no one left to tell anything,
 * so exit quietly instead of dying of an unhandled EPIPE.
 */
function stdout(text: string): void {
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  process.stdout.write(text);
}

export const stdio: Io = {
  write: (text) => stdout(text),
  out: (line) => stdout(`${line}\n`),
  err: (line) => void process.stderr.write(`lazysync: ${line}\n`),
  get tty() {
    return process.stdout.isTTY === true;
  },
  get progress() {
    return process.stderr.isTTY === true ? process.stderr : undefined;
  },
};
