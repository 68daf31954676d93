import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quietCheck, remoteWrite } from './quiet.js';

/** A promise and the function that settles it, to hold an operation open for as long as a test wants. */
function gate(): { open: Promise<void>; release: () => void } {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  return { open, release };
}

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('quiet: fresh checks and remote writes never overlap', () => {
  it('a check waits for the writes on the wire, and holds new writes back until it is done', async () => {
    const log: string[] = [];
    const w1 = gate();
    const first = remoteWrite(async () => {
      log.push('write 1 starts');
      await w1.open;
      log.push('write 1 ends');
    });
    await settle();
    const check = quietCheck(async () => {
      log.push('check');
    });
    const second = remoteWrite(async () => {
      log.push('write 2');
    });
    await settle();
    assert.deepEqual(log, ['write 1 starts'], 'neither the check nor a new write ran during write 1');
    w1.release();
    await Promise.all([first, check, second]);
    assert.deepEqual(log, ['write 1 starts', 'write 1 ends', 'check', 'write 2']);
  });

  for (const [kind, run] of [
    ['checks', quietCheck],
    ['writes', remoteWrite],
  ] as const) {
    it(`${kind} overlap each other`, async () => {
      const g = gate();
      let inside = 0;
      let most = 0;
      const held = async (): Promise<void> => {
        inside++;
        most = Math.max(most, inside);
        await g.open;
        inside--;
      };
      const both = [run(held), run(held)];
      await settle();
      assert.equal(most, 2, `both ${kind} ran at once`);
      g.release();
      await Promise.all(both);
    });
  }

  it('a failing write or check lets the other kind go on', async () => {
    await assert.rejects(
      remoteWrite(() => Promise.reject(new Error('EIO'))),
      /EIO/,
    );
    assert.equal(await quietCheck(async () => 'checked'), 'checked');
    await assert.rejects(
      quietCheck(() => Promise.reject(new Error('ENOENT'))),
      /ENOENT/,
    );
    assert.equal(await remoteWrite(async () => 'written'), 'written');
  });
});
