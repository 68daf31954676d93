// Placeholder for the helper's client (replaced on merge).
import { LazysyncError } from '../errors.js';
export type HsmMode = 'pre-content' | 'open';
export interface AccessEvent {
  id: number;
  path: Buffer;
  ino: number;
  pid: number;
  exe: string | null;
  comm: string | null;
  truncating: boolean;
  writing: boolean;
}
export class HsmUnavailable extends LazysyncError {}
export class HsmClient {
  readonly mode: HsmMode = 'open';
  readonly supervisorPid = 0;
  static connect(_localRoot: string, _opts?: { runtimeDir?: string }): Promise<HsmClient> {
    throw new Error('stub');
  }
  static check(_localRoot: string): Promise<HsmMode> {
    throw new Error('stub');
  }
  onAccess(_cb: (e: AccessEvent) => void): void {}
  onLost(_cb: (why: string) => void): void {}
  mark(_abs: Buffer): Promise<void> {
    throw new Error('stub');
  }
  unmark(_abs: Buffer): Promise<void> {
    throw new Error('stub');
  }
  fill(_ids: number[], _from: Buffer, _mtimeMs: number): Promise<void> {
    throw new Error('stub');
  }
  release(_ids: number[]): Promise<void> {
    throw new Error('stub');
  }
  allow(_ids: number[]): Promise<void> {
    throw new Error('stub');
  }
  deny(_ids: number[], _errno?: 'EIO' | 'EPERM' | 'EAGAIN' | 'EBUSY'): Promise<void> {
    throw new Error('stub');
  }
  close(): void {}
}
