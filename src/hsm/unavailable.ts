// Why file placeholders cannot work here: the kernel, the privileges or the local folder's filesystem.
import { LazysyncError } from '../errors.js';

export type HsmMode = 'pre-content' | 'open';

/** File placeholders are not possible: the message names what is missing. */
export class HsmUnavailable extends LazysyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unsupported', message, options);
    this.name = 'HsmUnavailable';
  }
}
