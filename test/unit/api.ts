// Test helpers for the client: a stand-in of the control API on a temp Unix socket, captured output, samples.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { PairStatus } from '../../src/engine/runner-api.js';
import type { Io } from '../../src/cli/io.js';

export interface Recorded {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** The parsed JSON body, or undefined. */
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** Sent as it is instead of `body` (for answers that are not JSON). */
  raw?: string;
}

/** Answers one request; keyed by `METHOD /path` (without the query). */
export type Route = (req: Recorded) => Reply | Promise<Reply>;

export interface StandIn {
  socket: string;
  dir: string;
  requests: Recorded[];
  /** Sends one event to every open event stream (as `data: JSON` plus a blank line). */
  emit(e: object): void;
  /** How many event streams are open. */
  streams(): number;
  /** Stops listening and removes its temp folder (with the socket file); event streams are ended. */
  close(): Promise<void>;
}

export function apiError(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message } } };
}

export async function startStandIn(routes: Record<string, Route>): Promise<StandIn> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-api-'));
  const socket = path.join(dir, 'daemon.sock');
  const requests: Recorded[] = [];
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(rec);
      const key = `${rec.method} ${rec.url.split('?')[0]}`;
      if (key === 'GET /v1/events' && routes[key] === undefined) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': hello\n\n');
        streams.add(res);
        res.on('close', () => streams.delete(res));
        return;
      }
      const route = routes[key];
      void Promise.resolve(
        route === undefined ? apiError(404, 'not-found', `no endpoint ${key}`) : route(rec),
      ).then((reply) => {
        const data = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(data);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    dir,
    requests,
    emit: (e) => {
      for (const s of streams)
        s.write(`data: ${JSON.stringify({ time: new Date().toISOString(), ...e })}\n\n`);
    },
    streams: () => streams.size,
    close: async () => {
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Captured extends Io {
  stdout: string[];
  stderr: string[];
  /** Everything written with `write` (redraws). */
  raw: string[];
}

export function captureIo(tty = false): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const raw: string[] = [];
  return {
    stdout,
    stderr,
    raw,
    write: (t) => void raw.push(t),
    out: (l) => void stdout.push(l),
    err: (l) => void stderr.push(l),
    tty,
    progress: undefined,
  };
}

export function samplePair(over: Partial<PairStatus> = {}): PairStatus {
  return {
    name: 'projects',
    remote: '/mnt/projects',
    local: '/home/me/projects',
    lazy: true,
    state: 'idle',
    reason: null,
    lastPass: { finishedAt: '2026-11-28T10:15:00.000Z', durationMs: 840, applied: 3, problems: 0 },
    counts: {
      placeholders: 1200,
      localCopies: 35,
      localCopyBytes: 52428800,
      pinned: 2,
      conflicts: 0,
      problems: 0,
    },
    transfers: [],
    options: {
      interval: 30,
      maxDelete: 50,
      accessDetect: 'inotify',
      placeholders: 'link',
      pin: [],
      ignore: [],
      maxSize: null,
      cacheMax: null,
      bwlimit: null,
      versionsMaxAge: null,
      versionsMaxCount: null,
      versionsMaxTotal: null,
      versionsStaggered: false,
      versionsSkipAbove: null,
    },
    ...over,
  };
}

export { waitFor } from '../fixture/poll.js';
