// The soak's command line: `--minutes N --pace MS --seed N --report FILE --probe-dir DIR
// --snapshot-at MIN,MIN --memory-warmup MIN --memory-min-span MIN`, each with its default.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES, type MemoryRules } from './memory.js';

export interface SoakOptions {
  minutes: number;
  /** Pause between two driver operations. */
  paceMs: number;
  seed: number;
  /** Where the JSON report goes. */
  report: string;
  /** Where the daemon's memory probe writes its figures and heap snapshots (kept after the run). */
  probeDir: string;
  /** Minutes since the start at which to write a heap snapshot of the daemon, e.g. `8,14.5`. */
  snapshotAt: number[];
  /** The memory check's rules, with the warm-up and shortest judged span from the command line. */
  memoryRules: MemoryRules;
}

export function parseOptions(argv: readonly string[]): SoakOptions {
  const argOf = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    // An hour by default: the memory check needs 20 minutes of the last daemon after its 10-minute warm-up.
    minutes: Number(argOf('--minutes') ?? 60),
    paceMs: Number(argOf('--pace') ?? 300),
    seed: Number(argOf('--seed') ?? Math.floor(Math.random() * 2 ** 31)),
    report: argOf('--report') ?? join(tmpdir(), `lazysync-soak-${Date.now()}.json`),
    probeDir: argOf('--probe-dir') ?? join(tmpdir(), `lazysync-soak-memory-${Date.now()}`),
    snapshotAt: (argOf('--snapshot-at') ?? '')
      .split(',')
      .filter((x) => x !== '')
      .map(Number),
    memoryRules: {
      ...DEFAULT_RULES,
      warmupMs: Number(argOf('--memory-warmup') ?? DEFAULT_RULES.warmupMs / 60_000) * 60_000,
      minSpanMs: Number(argOf('--memory-min-span') ?? DEFAULT_RULES.minSpanMs / 60_000) * 60_000,
    },
  };
}
