// A delaying TCP relay, run as its own process (so its event loop shares nothing with the benchmark):
// `node dist/bench/relay.js TARGET_PORT DELAY_MS` listens on 127.0.0.1:0, prints `{"port":N}` on stdout,
// and for each accepted connection connects to 127.0.0.1:TARGET_PORT and forwards every chunk in each
// direction DELAY_MS after it arrived, in order: a request and its response cost 2 x DELAY_MS, like a WAN
// link. A relay rather than `tc qdisc ... netem`: netem needs root and a kernel module a test machine may
// lack. With DELAY_MS 0 it is a plain pipe. Exits on SIGTERM or when stdin closes (its parent is gone).
// A line `take` on stdin is answered with one JSON line on stdout: the counters since the previous `take`
// (WireStats in bench/net.ts), which start again from 0.
import { createServer, connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const target = Number(process.argv[2]);
const delayMs = Number(process.argv[3] ?? 0);
if (!Number.isInteger(target) || target <= 0 || !(delayMs >= 0)) {
  process.stderr.write('usage: relay.js TARGET_PORT DELAY_MS\n');
  process.exit(2);
}

/** Queued bytes (per direction) above which the source is paused: far above a bandwidth-delay product. */
const HIGH_WATER = 32 << 20;

/**
 * Counters since the last `take`. busyMs: the union over every chunk (both directions) of [arrival,
 * arrival + delayMs], the time something was on the delayed wire; busyMs / (2 x delayMs) is how many round
 * trips were paid one after the other, however many requests each carried (concurrent ones overlap).
 * firstAt, lastAt: when the first and the last chunk arrived, in ms since the epoch (0: none).
 */
const zero = () => ({ busyMs: 0, up: 0, down: 0, upBytes: 0, downBytes: 0, firstAt: 0, lastAt: 0 });
let stats = zero();
let busyUntil = 0;

function count(up: boolean, bytes: number): void {
  if (up) {
    stats.up++;
    stats.upBytes += bytes;
  } else {
    stats.down++;
    stats.downBytes += bytes;
  }
  // Every interval is delayMs long and they start in time order: only the part past busyUntil is new.
  const now = performance.now();
  stats.busyMs += now + delayMs - Math.max(now, busyUntil);
  busyUntil = now + delayMs;
  stats.lastAt = performance.timeOrigin + now;
  if (stats.firstAt === 0) stats.firstAt = stats.lastAt;
}

/** Forwards `src` to `dst`, each chunk `delayMs` after it arrived. */
function forward(src: Socket, dst: Socket, up: boolean): void {
  if (delayMs === 0) {
    src.on('data', (buf: Buffer) => count(up, buf.length));
    src.pipe(dst);
    return;
  }
  const queue: { due: number; buf: Buffer }[] = [];
  let head = 0;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let paused = false;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && (queue[head] as { due: number }).due <= now) {
      const { buf } = queue[head] as { buf: Buffer };
      queue[head++] = undefined as never;
      queued -= buf.length;
      if (!dst.destroyed) dst.write(buf);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (paused && queued + dst.writableLength < HIGH_WATER / 2) {
      paused = false;
      src.resume();
    }
    if (head < queue.length) schedule();
    else if (ended) dst.end();
  };
  const schedule = (): void => {
    if (timer !== undefined || head >= queue.length) return;
    const wait = Math.max(0, (queue[head] as { due: number }).due - performance.now());
    timer = setTimeout(flush, wait);
  };
  src.on('data', (buf: Buffer) => {
    count(up, buf.length);
    queue.push({ due: performance.now() + delayMs, buf });
    queued += buf.length;
    if (queued + dst.writableLength > HIGH_WATER && !paused) {
      paused = true;
      src.pause();
    }
    schedule();
  });
  dst.on('drain', () => {
    if (paused && queued + dst.writableLength < HIGH_WATER / 2) {
      paused = false;
      src.resume();
    }
  });
  src.on('end', () => {
    ended = true;
    if (head >= queue.length) dst.end();
  });
}

const sockets = new Set<Socket>();
const server = createServer((client) => {
  const upstream = connect({ port: target, host: '127.0.0.1' });
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  forward(client, upstream, true);
  forward(upstream, client, false);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') process.exit(1);
  process.stdout.write(`${JSON.stringify({ port: addr.port })}\n`);
});

const quit = (): void => {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
process.stdin.on('end', quit);
process.stdin.on('error', quit);
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() !== 'take') return;
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  stats = zero();
});
