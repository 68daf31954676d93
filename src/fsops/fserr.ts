// Classifying the errno of a failed fs call: absent, the whole mount gone, or a problem with one path.
import { hasCode, isFsError, MOUNT_GONE_CODES } from '../errors.js';

/** ENOENT/ENOTDIR: the path (or one of its parents) is not there. */
export function isAbsent(e: unknown): boolean {
  return hasCode(e, 'ENOENT', 'ENOTDIR');
}

/** The filesystem under the path is gone (dead or unmounted network mount): never read this as "deleted". */
export function isMountGone(e: unknown): boolean {
  return hasCode(e, ...MOUNT_GONE_CODES);
}

/** The errno code of an fs error, or the message of anything else, for one-line reports. */
export function codeOf(e: unknown): string {
  if (isFsError(e)) return e.code;
  return e instanceof Error ? e.message : String(e);
}
