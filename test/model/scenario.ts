// Random scenarios for the model: what users do on each side between passes, over a small alphabet of paths,
// and the data they write: each content carries its own identity in its bytes, so that the checks can tell
// where every piece of data went.
import fc from 'fast-check';
import type { Policy, RelPath, Side } from '../../src/core/types.js';
import { stampOf } from '../../src/versions/stamp.js';
import type { DiskWorld } from './disk-world.js';

/** The executor's clock in every scenario: conflict names made in a pass carry this stamp. */
export const NOW = Date.UTC(2024, 4, 17, 9, 30, 0);
const S = stampOf(NOW);

/**
 * Nested directories, a name with an extension, the names the first conflict copies of `a` and `c.txt`
 * will want, so that conflict names meet existing paths, and a folder `d` that only moves and writes make
 * (a move into a new folder).
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
  'd',
  'd/x',
];

/** Link texts (relative, absolute, dangling): data that must be copied verbatim. */
export const TARGETS = ['t', '../t', '/abs/t'];

/**
 * The kinds of content a file can hold, each with its own size; two share a size, so that only their bytes
 * (or mtime) tell them apart. A content is the class name, then its identity, padded to the class's size.
 */
export const CLASSES = ['a', 'bb', 'cc', 'ddd'] as const;
const SIZES: Record<string, number> = { a: 16, bb: 24, cc: 24, ddd: 32 };

function contentOf(cls: string, identity: string): string {
  return `${cls}:${identity}`.padEnd(SIZES[cls] ?? 0, '.');
}

let copies = 0;

/** Another content of the same size as `old` and of the other class of that size, or undefined if none. */
export function twinOf(old: string): string | undefined {
  const cls = old.slice(0, old.indexOf(':'));
  const twin = CLASSES.find((c) => c !== cls && SIZES[c] === SIZES[cls]);
  return twin === undefined ? undefined : contentOf(twin, `cp${copies++}`);
}

/**
 * Where a write lands in time. Round `round` is a wall-clock second of its own and each (path, class) a
 * second of its own within it, so two different contents never share size and mtime second (the quick
 * check trusts those by design: only `cp -p` fools it, on purpose) and the bytes of a write are named by
 * (round, path, class): the same write on both sides in one round is the same change, as a user would see
 * it. Local files also get the sub-second `sub` ms; the remote shows whole seconds, as most mounts do.
 */
const EPOCH = 1_700_000_000;

function slotOf(path: RelPath): number {
  const i = PATHS.indexOf(path);
  if (i < 0) throw new Error(`${path}: not one of the scenario paths`);
  return i;
}

export function writeOf(
  side: Side,
  path: RelPath,
  cls: number,
  round: number,
  sub: number,
): { content: string; mtimeMs: number } {
  const second = EPOCH + (round * PATHS.length + slotOf(path)) * CLASSES.length + cls;
  const name = CLASSES[cls] ?? 'a';
  return {
    content: contentOf(name, `${round}.${slotOf(path)}`),
    mtimeMs: second * 1000 + (side === 'local' ? sub : 0),
  };
}

/** A link text with its identity: the same link made on both sides in one round is the same change. */
export function linkOf(path: RelPath, target: number, round: number): string {
  return `${TARGETS[target] ?? 't'}~${round}.${slotOf(path)}`;
}

/** Picks among the paths that exist when an operation runs: an index taken modulo their number. */
const PICKS = 64;

export type UserOp =
  | { op: 'write'; path: RelPath; content: number; atomic: boolean; force: boolean; sub: number }
  /**
   * `mv -T` of an existing path (file, folder, symlink or placeholder) to `to`; `synced`: one the pair has
   * synced, if any (what a user would move); `over`: may replace what is at `to`.
   */
  | { op: 'mv'; pick: number; synced: boolean; to: RelPath; over: boolean }
  /** `cp -P` of an existing local symlink (a placeholder, in lazy mode) to `to`: the link text unchanged. */
  | { op: 'cp-link'; pick: number; to: RelPath }
  /** A local link to the remote path of `PATHS[of]`, or of a path that never exists (`of` past the end). */
  | { op: 'link-remote'; path: RelPath; of: number; force: boolean }
  | { op: 'mkdir'; path: RelPath; force: boolean }
  | { op: 'symlink'; path: RelPath; target: number; force: boolean }
  | { op: 'rm'; path: RelPath }
  | { op: 'chmod'; path: RelPath }
  | { op: 'cp-p'; path: RelPath }
  | { op: 'hydrate'; path: RelPath }
  | { op: 'free'; path: RelPath };

const path = fc.constantFrom(...PATHS);

/** A rename, a move into another (existing or new) folder, a folder moved with what it holds. */
export function moveOp(over: boolean): fc.Arbitrary<UserOp> {
  return fc.record({
    op: fc.constant('mv' as const),
    pick: fc.nat(PICKS - 1),
    synced: fc.boolean(),
    to: path,
    over: fc.constant(over),
  });
}

function userOp(side: Side): fc.Arbitrary<UserOp> {
  const ops: fc.WeightedArbitrary<UserOp>[] = [
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('write' as const),
        path,
        content: fc.nat(CLASSES.length - 1),
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
    { weight: 5, arbitrary: fc.boolean().chain(moveOp) },
  ];
  if (side === 'local') {
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('cp-p' as const), path }) });
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('hydrate' as const), path }) });
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('free' as const), path }) });
    ops.push({
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('cp-link' as const), pick: fc.nat(PICKS - 1), to: path }),
    });
    ops.push({
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('link-remote' as const),
        path,
        of: fc.nat(PATHS.length),
        force: fc.boolean(),
      }),
    });
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
  /** The passes are told the local renames (a daemon's kernel events): a file moved and written is moved. */
  watched: boolean;
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
  watched: fc.boolean(),
  rounds: fc.array(round(6), { minLength: 1, maxLength: 4 }),
});

export function policyOf(s: Pick<Scenario, 'lazy' | 'pinB'>): Policy {
  if (!s.lazy) return { lazy: false };
  if (!s.pinB) return { lazy: true };
  return { lazy: true, isPinned: (p) => p === 'b' || p.startsWith('b/') };
}

/** Applies a user's operations to one side in round `round` (1, 2, ...). */
export async function applyOps(w: DiskWorld, side: Side, ops: UserOp[], round: number): Promise<void> {
  for (const o of ops) {
    switch (o.op) {
      case 'write': {
        const { content, mtimeMs } = writeOf(side, o.path, o.content, round, o.sub);
        w.userWrite(side, o.path, content, mtimeMs, o.atomic, o.force);
        break;
      }
      case 'mkdir':
        w.userMkdir(side, o.path, o.force);
        break;
      case 'symlink':
        w.userSymlink(side, o.path, linkOf(o.path, o.target, round), o.force);
        break;
      case 'mv':
        w.userMove(side, o.pick, o.to, { synced: o.synced, free: !o.over });
        break;
      case 'cp-link':
        w.userCopyLink(o.pick, o.to);
        break;
      case 'link-remote':
        w.userLinkIntoRemote(o.path, PATHS[o.of] ?? `nowhere~${round}.${slotOf(o.path)}`, o.force);
        break;
      case 'rm':
        w.userRemove(side, o.path);
        break;
      case 'chmod':
        w.userChmod(side, o.path);
        break;
      case 'cp-p':
        w.userReplaceKeepingMtime(o.path, twinOf);
        break;
      case 'hydrate':
        await w.hydrate(o.path);
        break;
      case 'free':
        await w.free(o.path);
        break;
    }
  }
}

/** A synced pair (first sync, then maybe a second round), then moves to free paths on one side only. */
export interface PureMoves {
  lazy: boolean;
  setup: Round[];
  side: Side;
  moves: UserOp[];
}

/**
 * The setup's operations: anything but moves, copies of links and links into the remote, and no symlinks:
 * a symlink moved is made again at its new path (only files and folders are moved as such).
 */
const notMoving = (ops: UserOp[]): UserOp[] =>
  ops.filter((o) => !['mv', 'cp-link', 'link-remote', 'symlink'].includes(o.op));

export const pureMoves: fc.Arbitrary<PureMoves> = fc.record({
  lazy: fc.boolean(),
  setup: fc.array(
    round(6).map((r) => ({ ...r, local: notMoving(r.local), remote: notMoving(r.remote), cut: null })),
    { minLength: 1, maxLength: 2 },
  ),
  side: fc.constantFrom<Side>('local', 'remote'),
  moves: fc.array(moveOp(false), { minLength: 1, maxLength: 4 }),
});
