// HTTP plumbing of the control API: errors as `{"error": {code, message}}`, JSON bodies read with a size
// cap and checked with zod, JSON answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { describeZodError } from '../schema-messages.js';
import { LazysyncError, messageOf } from '../errors.js';

/** The closed list of error codes of docs/api.md. */
export type ApiErrorCode = 'bad-request' | 'not-found' | 'conflict' | 'failed';

const STATUS: Record<ApiErrorCode, number> = {
  'bad-request': 400,
  'not-found': 404,
  conflict: 409,
  failed: 500,
};

export const MAX_BODY_BYTES = 1 << 20;

/**
 * Why the daemon cannot serve a request: the API's error code and the HTTP status it is sent with (the
 * code's by default: 400, 404, 409, 500). The client turns the reply into its own ApiError.
 */
export class HttpError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  /** Fields sent beside `error` (e.g. what `free` did before refusing). */
  readonly extra: Record<string, unknown> | undefined;
  constructor(
    code: ApiErrorCode,
    message: string,
    opts?: { status?: number; extra?: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.status = opts?.status ?? STATUS[code];
    this.extra = opts?.extra;
  }
}

/**
 * What an error thrown by a runner or the daemon means to a client: a user's mistake (usage) is a bad
 * request, a pair held by another process or a path that changed under us is a conflict, anything else
 * failed.
 */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof LazysyncError) {
    if (e.code === 'usage') return new HttpError('bad-request', e.message);
    if (e.code === 'locked' || e.code === 'changed') {
      return new HttpError('conflict', e.message);
    }
  }
  return new HttpError('failed', messageOf(e));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, e.status, { error: { code: e.code, message: e.message }, ...e.extra });
}

/** The request's JSON body, or undefined if it has none. Bad JSON or more than 1 MiB: bad-request. */
export async function readJsonBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max)
      tooBig = true; // keep reading (and dropping) so the answer reaches the client
    else chunks.push(chunk);
  }
  if (tooBig) throw new HttpError('bad-request', `the request body is larger than ${max} bytes`);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError('bad-request', `the request body is not valid JSON: ${messageOf(e)}`);
  }
}

/** `data` checked against `schema`; a mismatch is a bad-request naming the field (`body.paths[2]: ...`). */
export function validate<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new HttpError('bad-request', describeZodError(r.error, data, { lang: 'json', root: what }));
}
