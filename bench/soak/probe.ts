// Loaded into the soak's daemon with `node --import` (NODE_OPTIONS), never by the product itself. On
// SIGUSR2 it forces a full garbage collection, then appends one line of memory figures to
// `$LAZYSYNC_SOAK_PROBE_DIR/stats-PID.jsonl`, and writes a V8 heap snapshot there too when the soak asked
// for one (a file named `snapshot` holding the snapshot's file name). The heap used after a forced GC is
// what the program still holds; RSS alone also moves with V8's heap sizing, malloc arenas and SQLite's
// page cache, which fill to a bound and then stay.
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const dir = process.env.LAZYSYNC_SOAK_PROBE_DIR;

/** What /proc says of this process in KiB: resident anonymous (malloc, V8) and file-backed pages. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  const text = readFileSync('/proc/self/status', 'utf8');
  for (const key of ['VmRSS', 'RssAnon', 'RssFile', 'VmHWM']) {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (m) out[key] = Number(m[1]);
  }
  return out;
}

/**
 * Resident KiB of the process's mappings by kind, from /proc/self/smaps: `brk` is glibc's main malloc
 * arena, `arenas` the other threads' malloc arenas (glibc aligns each to 64 MiB), `anon` the rest of the
 * anonymous memory (V8's heap, thread stacks, SQLite's page cache when it is not malloced from an arena),
 * `file` mapped files (node's own binary, shared libraries).
 */
function smapsSummary(): Record<string, number> {
  const out = { brk: 0, arenas: 0, anon: 0, file: 0, arenaCount: 0 };
  let kind: 'brk' | 'arenas' | 'anon' | 'file' = 'anon';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[2] ?? '';
      const aligned = BigInt(`0x${head[1]}`) % (64n << 20n) === 0n;
      kind =
        path === '[heap]'
          ? 'brk'
          : path === ''
            ? aligned
              ? 'arenas'
              : 'anon'
            : path.startsWith('[')
              ? 'anon'
              : 'file';
      if (kind === 'arenas') out.arenaCount++;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  return out;
}

if (dir !== undefined && dir !== '') {
  // The gc() function without --expose-gc on the command line, so the daemon's flags stay as a user's.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let seq = 0;
  process.on('SIGUSR2', () => {
    const started = Date.now();
    gc();
    const mu = process.memoryUsage();
    const hs = getHeapStatistics();
    let snapshot: string | undefined;
    try {
      const name = readFileSync(join(dir, 'snapshot'), 'utf8').trim();
      rmSync(join(dir, 'snapshot'), { force: true });
      if (name !== '') snapshot = writeHeapSnapshot(join(dir, name));
    } catch {
      /* no snapshot asked for */
    }
    const line = {
      seq: ++seq,
      at: new Date().toISOString(),
      uptimeS: Math.round(process.uptime()),
      rss: mu.rss,
      heapTotal: mu.heapTotal,
      heapUsed: mu.heapUsed,
      external: mu.external,
      arrayBuffers: mu.arrayBuffers,
      mallocedMemory: hs.malloced_memory,
      proc: procStatus(),
      smaps: smapsSummary(),
      // V8 grows its young generation under a high allocation rate, and shrinks it when that falls.
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_size])),
      // What each space holds after the GC: compiled code grows for a while as more functions get hot.
      spacesUsed: Object.fromEntries(
        getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_used_size]),
      ),
      snapshot,
      tookMs: Date.now() - started,
    };
    appendFileSync(join(dir, `stats-${process.pid}.jsonl`), `${JSON.stringify(line)}\n`);
  });
}
