// Is the remote the folder we synced, mounted and readable? An unavailable remote pauses a pair; it is
// never read as "everything was deleted".
import fs from 'node:fs/promises';
import path from 'node:path';
import { hasCode, isFsError, messageOf } from '../errors.js';
import { freshRemoteEntry } from '../fsops/fresh.js';
import { mountOf } from '../fsops/mounts.js';
import { kindOf } from '../fsops/probe.js';
import { mountIdentityOf } from '../fsops/probe-run.js';
import { STATE_DIR } from '../core/paths.js';
import type { PairConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';

/** What the archive remembers about the remote from the first sync (meta keys). */
export const META = {
  remoteRoot: 'remote.root',
  marker: 'remote.marker',
  mount: 'remote.mount',
} as const;

/** The remote's marker: its state folder, made at the first sync; without it the remote is not the one synced. */
export const MARKER = STATE_DIR;

export interface RemoteMemory {
  /** The marker R/.lazysync was written by a completed first health check. */
  marker: boolean;
  /** The mount that held R at the first sync, if R was on its own mount then. */
  mount?: { mountPoint: string; fsType: string };
}

/** Returns why the remote cannot be used now, or undefined if it can. Touches nothing. */
export async function remoteUnavailableReason(
  remote: string,
  memory: RemoteMemory,
): Promise<string | undefined> {
  try {
    const st = await fs.stat(remote);
    if (!st.isDirectory()) return `${remote} is not a folder`;
    await fs.readdir(remote);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return `${remote} does not exist`;
    return `cannot read ${remote}: ${isFsError(e) ? e.code : messageOf(e)}${await hintFor(remote, e)}`;
  }
  if (memory.mount !== undefined) {
    const now = await mountOf(remote);
    if (
      now === undefined ||
      now.mountPoint !== memory.mount.mountPoint ||
      now.fsType !== memory.mount.fsType
    ) {
      return `${memory.mount.mountPoint} (${memory.mount.fsType}) is not mounted`;
    }
  }
  if (memory.marker) {
    // Asked of the server past the mount's caches: a cached listing of a dead mount (sshfs keeps one for
    // 20 s) must not pass for a live remote, since this check alone says "gone" (one call's EIO does not).
    let marker: Awaited<ReturnType<typeof freshRemoteEntry>>;
    try {
      marker = await freshRemoteEntry(Buffer.from(remote, 'utf8').toString('latin1'), MARKER);
    } catch (e) {
      return `cannot read its marker ${path.join(remote, MARKER)}: ${isFsError(e) ? e.code : messageOf(e)}`;
    }
    if (marker?.kind !== 'dir') {
      return `its marker ${path.join(remote, MARKER)} is missing: the remote is not mounted, or it is not the folder that was synced (if it is, create that folder to resume)`;
    }
  }
  return undefined;
}

/**
 * At the first sync: the mount holding the remote, if the remote is on a filesystem of its own (not the
 * one holding `local`, and not the root filesystem). Undefined means it looks like a plain local folder.
 */
export async function remoteMountAtFirstSync(
  remote: string,
  local: string,
): Promise<{ mountPoint: string; fsType: string } | undefined> {
  const r = await mountOf(remote);
  if (r === undefined || r.mountPoint === '/') return undefined;
  const l = await mountOf(path.dirname(local));
  if (l !== undefined && l.mountPoint === r.mountPoint) return undefined;
  return { mountPoint: r.mountPoint, fsType: r.fsType };
}

/** What to do about a failure to read the remote root, where the mount's kind tells (else ''). */
async function hintFor(remote: string, e: unknown): Promise<string> {
  if (!hasCode(e, 'EINVAL')) return '';
  const m = await mountIdentityOf(Buffer.from(remote, 'utf8').toString('latin1'));
  if (kindOf(m) !== 'davfs2') return '';
  return ' (davfs2 refuses the 32 KiB directory reads of this kernel with its default buffer: set `buf_size 32` in davfs2.conf and mount again)';
}

/** What the archive remembers of the remote: whether the marker was made, and the mount it was on. */
export function rememberedRemote(archive: Archive | undefined): RemoteMemory {
  const mount = archive?.getMeta(META.mount);
  return {
    marker: archive?.getMeta(META.marker) === '1',
    ...(mount !== undefined ? { mount: JSON.parse(mount) as { mountPoint: string; fsType: string } } : {}),
  };
}

/** At the first sync: makes the marker and remembers the remote's mount. */
export async function markRemoteAtFirstSync(archive: Archive, cfg: PairConfig, log: Logger): Promise<void> {
  if (archive.getMeta(META.marker) === '1') return;
  const mount = await remoteMountAtFirstSync(cfg.remote, cfg.local);
  if (mount === undefined) {
    log.warn(
      `${cfg.remote} is not on a mounted filesystem of its own: if the remote is not mounted yet, stop now, mount it and start again`,
    );
  }
  await fs.mkdir(path.join(cfg.remote, MARKER), { recursive: true });
  archive.transaction(() => {
    archive.setMeta(META.remoteRoot, cfg.remote);
    if (mount !== undefined) archive.setMeta(META.mount, JSON.stringify(mount));
    archive.setMeta(META.marker, '1');
  });
}
