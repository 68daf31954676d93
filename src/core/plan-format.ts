// One readable line per planned action, for `--dry-run` and trace logs.
import { display } from './paths.js';
import type { Action } from './types.js';

/** The line `--dry-run` prints for `a`, or undefined for archive-only steps (record, forget). */
export function describeAction(a: Action): string | undefined {
  const p = display(a.path);
  switch (a.op) {
    case 'download':
      if (a.unlessSame === true)
        return `compare ${p} (only its time changed on the remote: downloaded if the bytes differ)`;
      return `${a.op} ${p}`;
    case 'placeholder':
    case 'upload':
      return `${a.op} ${p}`;
    case 'mkdir':
    case 'remove':
      return `${a.op}:${a.side} ${p}`;
    case 'symlink':
      return `symlink:${a.side} ${p} -> ${display(a.target)}`;
    case 'conflict':
      if (a.check === true)
        return `compare ${p} (same size and time on both sides: a conflict if the bytes differ)`;
      return `conflict ${p} (newer: ${a.winner})`;
    case 'move':
    case 'copy':
      return `${a.op}:${a.op === 'move' ? a.side : 'remote'} ${display(a.from)} -> ${p}`;
    case 'hold':
      return `leave ${p} (${a.reason})`;
    case 'record':
    case 'forget':
      return undefined;
  }
}
