// The control API's client: JSON requests and the event stream over the daemon's Unix socket (docs/api.md).
import http from 'node:http';
import { LazysyncError, hasCode, messageOf } from '../errors.js';
import type { PairEvent } from '../engine/runner-api.js';
import { displayText } from './format.js';
import { SseParser } from './sse.js';

/** An event as the stream sends it: the runner's event plus the time it was sent (ISO). */
export type ApiEvent = PairEvent & { time: string };

/**
 * The daemon answered with an error (`{"error": {"code", "message"}}`). `apiCode` is the API's code
 * (`bad-request`, `not-found`, `conflict`, `failed`); `bad-request` and `not-found` (a pair or a path
 * that is not there) are usage errors (exit 2), the others runtime errors (exit 1). `body` is the whole answer, for endpoints that say more than the message.
 */
export class ApiError extends LazysyncError {
  constructor(
    readonly status: number,
    readonly apiCode: string,
    message: string,
    readonly body: unknown,
  ) {
    super(apiCode === 'bad-request' || apiCode === 'not-found' ? 'usage' : 'io', message);
  }
}

/** Nothing listens on the socket (it is missing, or stale after a crash). */
export class NoDaemonError extends LazysyncError {
  constructor(
    readonly socketPath: string,
    cause: unknown,
  ) {
    super(
      'io',
      `no lazysync daemon is running on ${socketPath}; start one with \`lazysync start\` ` +
        '(or `lazysync daemon` in the foreground)',
      { cause },
    );
  }
}

/** Maps a failure to connect or to talk to the daemon to one clear error. */
export function connectionError(e: unknown, socketPath: string): LazysyncError {
  if (hasCode(e, 'ENOENT', 'ECONNREFUSED', 'ENOTDIR')) return new NoDaemonError(socketPath, e);
  if (hasCode(e, 'EACCES', 'EPERM')) {
    return new LazysyncError(
      'io',
      `permission denied on ${socketPath}: the daemon's socket belongs to another user ` +
        '(start your own daemon, or pass --socket)',
      { cause: e },
    );
  }
  if (hasCode(e, 'ECONNRESET', 'EPIPE')) {
    return new LazysyncError('io', `the lazysync daemon on ${socketPath} closed the connection`, {
      cause: e,
    });
  }
  if (hasCode(e, 'ETIMEDOUT')) {
    return new LazysyncError('io', `the lazysync daemon on ${socketPath} did not answer in time`, {
      cause: e,
    });
  }
  return new LazysyncError('io', `cannot talk to the lazysync daemon on ${socketPath}: ${messageOf(e)}`, {
    cause: e,
  });
}

/** The daemon closed the connection before answering (it crashed, or is exiting). */
export function isConnectionLost(e: unknown): boolean {
  return e instanceof LazysyncError && !(e instanceof ApiError) && hasCode(e.cause, 'ECONNRESET', 'EPIPE');
}

/** The error an answer with a non-2xx status stands for. */
export function answerError(status: number, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof err?.code === 'string' && typeof err.message === 'string') {
    return new ApiError(status, err.code, displayText(err.message), body);
  }
  const code = status === 400 ? 'bad-request' : status === 404 ? 'not-found' : 'failed';
  const snippet = displayText(text.trim().slice(0, 200));
  return new ApiError(
    status,
    code,
    `the daemon answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`,
    body,
  );
}

export interface EventStream {
  /** Ends the stream; `onEnd` is not called for a close asked for. */
  close(): void;
  /** Settles when the stream is open (so no event of a request sent after it is missed), or failed. */
  readonly ready: Promise<void>;
}

export interface RequestOptions {
  /** Give up (ETIMEDOUT) when no answer came within this time. None by default: pins may take long. */
  timeoutMs?: number;
}

export class ApiClient {
  constructor(readonly socketPath: string) {}

  /** One request; resolves with the parsed JSON answer, rejects with ApiError, NoDaemonError or LazysyncError. */
  request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          path,
          method,
          agent: false,
          headers: {
            host: 'lazysync',
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': payload.length }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(connectionError(e, this.socketPath)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) return reject(answerError(status, text));
            if (text.trim() === '') return resolve(undefined as T);
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(
                new LazysyncError('io', `the daemon on ${this.socketPath} sent an answer that is not JSON`),
              );
            }
          });
        },
      );
      if (opts.timeoutMs !== undefined) {
        req.setTimeout(opts.timeoutMs, () =>
          req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
        );
      }
      req.on('error', (e) => reject(connectionError(e, this.socketPath)));
      req.end(payload);
    });
  }

  /**
   * Follows `GET /v1/events`: `onEvent` for each event (lines that are not JSON objects are skipped);
   * `onEnd` once when the stream ends or fails, unless `close()` ended it.
   */
  events(onEvent: (e: ApiEvent) => void, onEnd?: (err?: LazysyncError) => void): EventStream {
    let closed = false;
    let ended = false;
    let opened: () => void = () => undefined;
    let failed: (e: LazysyncError) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    ready.catch(() => undefined); // a caller that does not wait for it learns of failures from onEnd
    const end = (err?: LazysyncError): void => {
      if (err !== undefined) failed(err);
      if (closed || ended) return;
      ended = true;
      onEnd?.(err);
    };
    const parser = new SseParser((data) => {
      let e: unknown;
      try {
        e = JSON.parse(data);
      } catch {
        return;
      }
      if (typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string') {
        onEvent(e as ApiEvent);
      }
    });
    const req = http.get(
      {
        socketPath: this.socketPath,
        path: '/v1/events',
        agent: false,
        headers: { host: 'lazysync', accept: 'text/event-stream' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c.length + text.length <= 65536 ? c : ''));
          res.on('end', () => end(answerError(status, text)));
          return;
        }
        opened();
        res.setEncoding('utf8');
        res.on('data', (c: string) => parser.feed(c));
        res.on('error', (e) => end(connectionError(e, this.socketPath)));
        res.on('end', () => end());
      },
    );
    req.on('error', (e) => end(connectionError(e, this.socketPath)));
    return {
      ready,
      close: () => {
        if (closed) return;
        closed = true;
        failed(new LazysyncError('io', 'event stream closed'));
        req.destroy();
      },
    };
  }
}

/** `/v1/pairs/NAME[/ACTION]`, the name escaped for a URL. */
export function pairUrl(name: string, action?: string): string {
  return `/v1/pairs/${encodeURIComponent(name)}${action === undefined ? '' : `/${action}`}`;
}
