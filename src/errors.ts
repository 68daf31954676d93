// Errors as values with a closed code: callers branch on `code`, never on the message.
import type { Entry, RelPath } from './core/types.js';

export type ErrorCode =
  | 'usage' // bad input from the user: exit 2, nothing touched
  | 'remote-unavailable' // the remote root is missing, unmounted, unreadable or lost its marker
  | 'local-unavailable' // the local root or its parent is missing or unreadable
  | 'locked' // another lazysync already runs this pair
  | 'archive-corrupt' // the state database cannot be opened or is not ours
  | 'changed' // a path no longer looks like the plan expected: skipped, retried next pass
  | 'unsupported' // the remote cannot store this (a symlink where it has none): left out, warned about once
  | 'io'; // any other failure of one path

export class LazysyncError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LazysyncError';
  }
}

/**
 * The server itself says a remote path is not what the plan was made from: the mount showed a cached view
 * (sshfs keeps listings about 20 s). `fresh` is what the server has now, so the path can be decided again.
 */
export class StaleViewError extends LazysyncError {
  constructor(
    readonly path: RelPath,
    readonly fresh: Entry | undefined,
    message: string,
  ) {
    super('changed', message);
    this.name = 'StaleViewError';
  }
}

/** An error thrown by a Node fs call: it has an errno code such as 'ENOENT'. */
export interface FsError extends Error {
  code: string;
  syscall?: string;
  path?: string | Buffer;
}

export function isFsError(e: unknown): e is FsError {
  return (
    e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && !(e instanceof LazysyncError)
  );
}

export function hasCode(e: unknown, ...codes: string[]): boolean {
  return isFsError(e) && codes.includes(e.code);
}

/** Errors that mean the filesystem itself is gone (a dead or unmounted network mount), not one bad path. */
export const MOUNT_GONE_CODES = [
  'ENOTCONN',
  'EIO',
  'ESTALE',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ETIMEDOUT',
];

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
