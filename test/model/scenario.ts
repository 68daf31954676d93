// Random scenarios for the model: what users do on each side between passes, over a small alphabet of paths.
import fc from 'fast-check';
import type { Policy, RelPath, Side } from '../../src/core/types.js';
import { CONTENTS, stamp, World } from './world.js';

/** The executor's clock in every scenario: conflict names made in a pass carry this stamp. */
export const NOW = Date.UTC(2024, 4, 17, 9, 30, 0);
const S = stamp(NOW);

/**
 * Nested directories, a name with an extension, and the names the first conflict copies of `a` and
 * `c.txt` will want, so that conflict names meet existing paths.
 */
export const PATHS: RelPath[] = [
  'a',
  'a/a',
  'a/b',
  'a/a/x',
  'b',
  'b/a',
  'b/c.txt',
  'c.txt',
  `a.conflict-${S}`,
  `c.conflict-${S}.txt`,
];

/** Link texts (relative, absolute, dangling): data that must be copied verbatim. */
export const TARGETS = ['t', '../t', '/abs/t'];

export type UserOp =
  | { op: 'write'; path: RelPath; content: number; atomic: boolean; force: boolean; sub: number }
  | { op: 'mkdir'; path: RelPath; force: boolean }
  | { op: 'symlink'; path: RelPath; target: number; force: boolean }
  | { op: 'rm'; path: RelPath }
  | { op: 'chmod'; path: RelPath }
  | { op: 'cp-p'; path: RelPath }
  | { op: 'hydrate'; path: RelPath }
  | { op: 'free'; path: RelPath };

const path = fc.constantFrom(...PATHS);

function userOp(side: Side): fc.Arbitrary<UserOp> {
  const ops: fc.WeightedArbitrary<UserOp>[] = [
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('write' as const),
        path,
        content: fc.nat(CONTENTS.length - 1),
        atomic: fc.boolean(),
        force: fc.boolean(),
        sub: fc.constantFrom(0, 250, 999),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path, force: fc.boolean() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('symlink' as const),
        path,
        target: fc.nat(TARGETS.length - 1),
        force: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('rm' as const), path }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('chmod' as const), path }) },
  ];
  if (side === 'local') {
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('cp-p' as const), path }) });
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('hydrate' as const), path }) });
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('free' as const), path }) });
  }
  return fc.oneof(...ops);
}

export interface Round {
  local: UserOp[];
  remote: UserOp[];
  /** Stop the first pass of the round after this many actions (a stopped daemon), then run a full pass. */
  cut: number | null;
}

export interface Scenario {
  lazy: boolean;
  /** Lazy mode with everything under `b` pinned (always a local copy). */
  pinB: boolean;
  /** The first round starts from an empty archive: a first sync. */
  rounds: Round[];
}

export function round(maxOps: number): fc.Arbitrary<Round> {
  return fc.record({
    local: fc.array(userOp('local'), { maxLength: maxOps }),
    remote: fc.array(userOp('remote'), { maxLength: maxOps }),
    cut: fc.option(fc.nat(8), { nil: null }),
  });
}

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  lazy: fc.boolean(),
  pinB: fc.boolean(),
  rounds: fc.array(round(6), { minLength: 1, maxLength: 4 }),
});

export function policyOf(s: Pick<Scenario, 'lazy' | 'pinB'>): Policy {
  if (!s.lazy) return { lazy: false };
  if (!s.pinB) return { lazy: true };
  return { lazy: true, isPinned: (p) => p === 'b' || p.startsWith('b/') };
}

/** Applies a user's operations to one side; `second` is the wall clock second they happen in. */
export function applyOps(w: World, side: Side, ops: UserOp[], second: number): void {
  for (const o of ops) {
    switch (o.op) {
      case 'write':
        w.userWrite(side, o.path, CONTENTS[o.content] ?? 'a', second, o.sub, o.atomic, o.force);
        break;
      case 'mkdir':
        w.userMkdir(side, o.path, o.force);
        break;
      case 'symlink':
        w.userSymlink(side, o.path, TARGETS[o.target] ?? 't', o.force);
        break;
      case 'rm':
        w.userRemove(side, o.path);
        break;
      case 'chmod':
        w.userChmod(side, o.path);
        break;
      case 'cp-p':
        w.userReplaceKeepingMtime(o.path);
        break;
      case 'hydrate':
        w.hydrate(o.path);
        break;
      case 'free':
        w.free(o.path);
        break;
    }
  }
}
