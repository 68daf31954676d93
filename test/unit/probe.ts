// Test helpers for the mount probe: a fixed probe time and mtime, mount identities, and the observations of
// an experiment on a mount where everything works.
import type { MountIdentity, ProbeObservations } from '../../src/fsops/probe.js';

/** When the probes here were made. */
export const NOW = new Date('2026-12-01T10:00:00Z');
/** The mtime the experiment sets (ms), with a fraction finer than a millisecond. */
export const SET = 1_600_000_000_123.456;

export function mount(fsType: string, source = 'x', id = 40, dev = '0:40'): MountIdentity {
  return { mountPoint: '/mnt/r', fsType, source, id, dev };
}

/** Everything works, as on a local disk. */
export function allGood(m: MountIdentity): ProbeObservations {
  return {
    mount: m,
    scratch: { ok: true },
    hardLink: { ok: true },
    symlink: { ok: true, wanted: 'file', readBack: 'file' },
    absoluteSymlink: { ok: true, wanted: '/a', readBack: '/a' },
    parentSymlink: { ok: true, wanted: '../a', readBack: '../a' },
    renameOver: { ok: true, sameContent: true },
    fsync: { ok: true },
    mtimeSetMs: SET,
    mtimeReadMs: SET,
    mtimeAfterRenameMs: SET,
    modeSet: 0o640,
    modeAfterRename: 0o640,
    caseFold: { ok: true, foundOtherCase: false },
    maxNameLength: 255,
  };
}
