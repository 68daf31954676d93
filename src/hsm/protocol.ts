// The supervisor's socket protocol: JSON lines. Requests carry an `rid`, replies echo it; events carry `ev`.
// Paths travel as base64 of their bytes.
import type { DenyErrno } from './events.js';
import type { HsmMode } from './unavailable.js';

export type Request =
  | { rid: number; op: 'hello'; pid: number }
  | { rid: number; op: 'mark'; path: string }
  | { rid: number; op: 'unmark'; path: string }
  | { rid: number; op: 'fill'; ids: number[]; from: string; mtimeMs: number }
  | { rid: number; op: 'release'; ids: number[] }
  | { rid: number; op: 'allow'; ids: number[] }
  | { rid: number; op: 'deny'; ids: number[]; errno: DenyErrno };

/** A request without its rid, as the client builds it. */
export type RequestBody = Request extends infer R
  ? R extends { rid: number }
    ? Omit<R, 'rid'>
    : never
  : never;

export type Reply =
  | { rid: number; ok: true; mode?: HsmMode; supervisorPid?: number }
  | { rid: number; ok: false; code: string; message: string };

export interface AccessMessage {
  ev: 'access';
  id: number;
  path: string;
  ino: number;
  pid: number;
  exe: string | null;
  comm: string | null;
  mask: number;
  truncating: boolean;
  writing: boolean;
  range?: { offset: number; count: number };
}

/** Sent instead of any reply when another daemon holds the connection. */
export interface RefusedMessage {
  ev: 'refused';
  message: string;
}

export type ServerMessage = Reply | AccessMessage | RefusedMessage;

export const b64 = (b: Buffer): string => b.toString('base64');
export const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

export function encode(msg: Request | ServerMessage): string {
  return JSON.stringify(msg) + '\n';
}

/** Splits a byte stream into lines; a partial line waits for the next chunk. */
export class LineSplitter {
  #rest = '';
  push(chunk: string, emit: (line: string) => void): void {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') emit(line);
  }
}

const ERRNOS: readonly string[] = ['EIO', 'EPERM', 'EAGAIN', 'EBUSY'];

function isIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => Number.isSafeInteger(x) && (x as number) > 0);
}

/** A request from a line, or a message saying what is wrong with it. */
export function parseRequest(line: string): Request | { rid: number; error: string } {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return { rid: 0, error: 'not an object' };
    v = parsed as Record<string, unknown>;
  } catch {
    return { rid: 0, error: 'not JSON' };
  }
  const rid = Number.isSafeInteger(v.rid) ? (v.rid as number) : 0;
  const bad = (what: string): { rid: number; error: string } => ({ rid, error: `${String(v.op)}: ${what}` });
  switch (v.op) {
    case 'hello':
      return Number.isSafeInteger(v.pid) ? { rid, op: 'hello', pid: v.pid as number } : bad('needs pid');
    case 'mark':
    case 'unmark':
      return typeof v.path === 'string' && v.path !== ''
        ? { rid, op: v.op, path: v.path }
        : bad('needs path');
    case 'fill':
      if (!isIds(v.ids) || typeof v.from !== 'string' || typeof v.mtimeMs !== 'number') {
        return bad('needs ids, from and mtimeMs');
      }
      return { rid, op: 'fill', ids: v.ids, from: v.from, mtimeMs: v.mtimeMs };
    case 'release':
    case 'allow':
      return isIds(v.ids) ? { rid, op: v.op, ids: v.ids } : bad('needs ids');
    case 'deny': {
      if (!isIds(v.ids)) return bad('needs ids');
      const errno = v.errno ?? 'EIO';
      if (typeof errno !== 'string' || !ERRNOS.includes(errno))
        return bad(`errno must be one of ${ERRNOS.join(', ')}`);
      return { rid, op: 'deny', ids: v.ids, errno: errno as DenyErrno };
    }
    default:
      return { rid, error: `unknown op ${JSON.stringify(v.op)}` };
  }
}
