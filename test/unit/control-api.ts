// Test helpers for the control API's route tests: pairs `a` and `b` served by a daemon on stand-in runners,
// a request on its socket, and the shape of an API error.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { namedPairFrom } from '../../src/config-file.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { request, standIns, tempPairs, type Reply } from './daemon.js';

/**
 * Temp folders for pairs a, b and c, the stand-ins (b refuses to free `dirty.txt`), the config file the
 * daemon saves its pairs to, and how to start the daemon with a and b (b eager, 1M at most) and stop it,
 * removing the folders.
 */
export function controlApiSetup() {
  const t = tempPairs('a', 'b', 'c');
  const configPath = join(t.dir, 'config.toml');
  const runners = standIns({ b: { edited: new Set(['dirty.txt']) } });
  return {
    t,
    configPath,
    runners,
    req: (method: string, path: string, body?: unknown): Promise<Reply> =>
      request(t.socket, method, path, body),
    start: async (): Promise<Daemon> => {
      const daemon = await Daemon.start({
        socket: t.socket,
        configPath,
        pairs: [
          namedPairFrom('a', t.remote('a'), t.local('a'), {}),
          namedPairFrom('b', t.remote('b'), t.local('b'), { lazy: false, maxSize: '1M' }),
        ],
        log: silentLogger(),
        persist: true,
        createRunner: runners.create,
        handleSignals: false,
        keepaliveMs: 50,
      });
      await daemon.whenStarted();
      return daemon;
    },
    stop: async (daemon: Daemon): Promise<void> => {
      await daemon.shutdown();
      rmSync(t.dir, { recursive: true, force: true });
    },
  };
}

/** The reply is a JSON error with this status, code and message (exact, or matching). */
export function assertError(r: Reply, status: number, code: string, message: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const err = (r.json as { error: { code: string; message: string } }).error;
  assert.equal(err.code, code);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
}
