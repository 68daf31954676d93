// The control API server: HTTP on the daemon's Unix socket, routing to the endpoints of routes.ts, and
// the live event stream (`GET /v1/events`, server-sent events).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { messageOf } from '../errors.js';
import { HttpError, readJsonBody, sendError, sendJson, toHttpError } from './http.js';
import { ROUTES, type ControlTarget, type Route } from './routes.js';
import { listenOnSocket } from './socket.js';

export type { AddPairRequest, ControlTarget } from './routes.js';

export interface ControlServerOptions {
  /** Milliseconds between `: keepalive` comments on event streams (15 s). */
  keepaliveMs?: number;
}

/** An event stream whose client reads slower than this many buffered bytes is closed. */
const MAX_STREAM_BACKLOG = 1 << 20;

export class ControlServer {
  private readonly server: http.Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly keepaliveMs: number;

  constructor(
    private readonly target: ControlTarget,
    private readonly log: Logger,
    opts: ControlServerOptions = {},
  ) {
    this.keepaliveMs = opts.keepaliveMs ?? 15_000;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  /** Listens on `socketPath` (folder 0700, socket 0600; another daemon there is refused, a stale socket replaced). */
  listen(socketPath: string): Promise<void> {
    return listenOnSocket(this.server, socketPath);
  }

  /** Ends every event stream (their clients see the end, so live views know the daemon is going). */
  endStreams(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  /** Stops listening (Node removes the socket file), ends event streams and closes every connection. */
  async close(): Promise<void> {
    this.endStreams();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Give answers in progress (e.g. the one to /v1/shutdown) a moment, then cut what is left.
    const timer = setTimeout(() => this.server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://lazysync');
      const method = req.method ?? 'GET';
      if (url.pathname === '/v1/events') {
        if (method !== 'GET') throw methodNotAllowed(method, url.pathname, ['GET']);
        this.stream(req, res);
        return;
      }
      const { route, params } = match(url.pathname);
      const handler = route.methods[method as keyof Route['methods']];
      if (handler === undefined) throw methodNotAllowed(method, url.pathname, Object.keys(route.methods));
      let body: Promise<unknown> | undefined;
      const answer = await handler({
        target: this.target,
        params,
        query: url.searchParams,
        body: () => (body ??= readJsonBody(req)),
      });
      if (body === undefined) req.resume(); // drain a body the endpoint does not read
      if (answer.after !== undefined) res.once('finish', answer.after);
      sendJson(res, answer.status ?? 200, answer.body);
    } catch (e) {
      const err = toHttpError(e);
      if (err.code === 'failed') this.log.warn(`control API: ${req.method} ${req.url}: ${err.message}`);
      else this.log.debug(`control API: ${req.method} ${req.url}: ${err.message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      sendError(res, err, err.status === 405 ? { allow: (err.extra?.allow as string[]).join(', ') } : {});
    }
  }

  /** `GET /v1/events`: one `data: {json}` per event with its `time`, and a keepalive comment now and then. */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    this.streams.add(res);
    const send = (text: string): void => {
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        this.log.warn('control API: an event stream client is not reading; closing it');
        res.destroy();
        return;
      }
      res.write(text);
    };
    const unsubscribe = this.target.subscribe((e) => {
      try {
        send(`data: ${JSON.stringify({ ...e, time: new Date().toISOString() })}\n\n`);
      } catch (err) {
        this.log.warn(`control API: cannot send an event: ${messageOf(err)}`);
      }
    });
    const keepalive = setInterval(() => send(': keepalive\n\n'), this.keepaliveMs);
    const cleanup = (): void => {
      clearInterval(keepalive);
      unsubscribe();
      this.streams.delete(res);
    };
    res.once('close', cleanup);
    req.once('close', cleanup);
  }
}

function match(pathname: string): { route: Route; params: string[] } {
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathname);
    if (m === null) continue;
    try {
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      throw new HttpError('bad-request', `bad percent-encoding in ${pathname}`);
    }
  }
  throw new HttpError('not-found', `no endpoint ${pathname} (see docs/api.md; every endpoint is under /v1/)`);
}

function methodNotAllowed(method: string, pathname: string, allow: string[]): HttpError {
  return new HttpError(
    'bad-request',
    `${method} is not allowed on ${pathname} (allowed: ${allow.join(', ')})`,
    {
      status: 405,
      extra: { allow },
    },
  );
}
