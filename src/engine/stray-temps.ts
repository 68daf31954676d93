// Temp files a scan finds: leftovers of a stop to sweep, unless a copy may still be writing them.
import fs from 'node:fs/promises';
import type { RelPath } from '../core/types.js';
import { OWN_TEMP_PREFIX, isTempInFlight, sweepTemp, tempPrefixOf } from '../fsops/atomic.js';
import { absOf } from '../fsops/entry.js';
import type { Archive } from '../store/archive.js';

/**
 * Archive meta key of the temp-name prefixes of this pair's recent processes (a JSON array): a temp file on
 * the remote with one of them is a leftover of ours, one with another may be another machine's upload.
 */
const META_TEMP_PREFIXES = 'temp-prefixes';
/** How many processes' temp prefixes are remembered; older leftovers are swept by age. */
const KEPT_TEMP_PREFIXES = 32;
/** A temp file on the remote older than this is left over from a stop; a younger one may be an upload. */
const STRAY_REMOTE_TEMP_MS = 3600_000;

export class StrayTemps {
  /** Temp-name prefixes of this pair's recent processes, this one's last. */
  private prefixes: string[];

  constructor(
    private readonly archive: Archive | undefined,
    private readonly remoteRoot: string,
  ) {
    const raw = archive?.getMeta(META_TEMP_PREFIXES);
    this.prefixes = raw === undefined ? [] : (JSON.parse(raw) as string[]);
  }

  /** Adds this process's temp prefix to the pair's before a pass can name a temp file on the remote. */
  rememberOurs(): void {
    if (this.archive === undefined || this.prefixes.at(-1) === OWN_TEMP_PREFIX) return;
    this.prefixes = [...this.prefixes.filter((p) => p !== OWN_TEMP_PREFIX), OWN_TEMP_PREFIX].slice(
      -KEPT_TEMP_PREFIXES,
    );
    this.archive.setMeta(META_TEMP_PREFIXES, JSON.stringify(this.prefixes));
  }

  /**
   * Removes a temp file a scan found, unless it may still be written: one this process is writing (a
   * hydration or a pin in flight), or on the remote one that no process of this pair named and that is
   * younger than STRAY_REMOTE_TEMP_MS (another machine's lazysync may be uploading it). Locally the pair's
   * lock rules out any other writer.
   */
  async sweep(root: string, rel: RelPath): Promise<void> {
    const abs = absOf(root, rel);
    if (isTempInFlight(abs)) return;
    const prefix = tempPrefixOf(abs);
    if (root === this.remoteRoot && (prefix === undefined || !this.prefixes.includes(prefix))) {
      const st = await fs.lstat(abs);
      if (Date.now() - st.mtimeMs < STRAY_REMOTE_TEMP_MS) return;
    }
    await sweepTemp(abs);
  }
}
