// The first sync has no common ancestor: two files at one path that agree in size and mtime second may still
// hold different bytes (two machines, one second). The bytes decide; a difference is a reported conflict.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  conflictCopies,
  describeResult,
  killAllCli,
  makeDir,
  newPair,
  nowSec,
  planLines,
  syncRaw,
  writeFileAt,
  startRemote,
  type Remote,
} from '../fixture/index.js';

const T = nowSec() - 600;

/** What a program reads at `rel` (through a placeholder too), or undefined. */
async function textAt(root: string, rel: string): Promise<string | undefined> {
  return readFile(join(root, rel), 'utf8').catch(() => undefined);
}

describe('first sync: same size and mtime second', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  for (const mode of ['n', 'y'] as const) {
    it(`different bytes are a conflict, the same bytes are not (-L ${mode})`, async () => {
      const p = await newPair(remote, `first-${mode}`);
      await makeDir(p.local);
      await writeFileAt(p.server, 'differs.txt', 'server bytes', T);
      await writeFileAt(p.local, 'differs.txt', 'client bytes', T);
      await writeFileAt(p.server, 'same.txt', 'one content', T);
      await writeFileAt(p.local, 'same.txt', 'one content', T);

      const dry = await syncRaw(p, ['-L', mode, '--dry-run']);
      assert.equal(dry.code, 0, describeResult(dry));
      assert.deepEqual(
        planLines(dry).map((l) => l.split(' ').slice(0, 2).join(' ')),
        ['compare differs.txt', 'compare same.txt'],
        describeResult(dry),
      );

      const r = await syncRaw(p, ['-L', mode]);
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /1 conflicts/, describeResult(r));
      for (const root of [p.server, p.local]) {
        const copies = [...(await conflictCopies(root, 'differs.txt')).keys()];
        const kept = await Promise.all(['differs.txt', ...copies].map((rel) => textAt(root, rel)));
        assert.deepEqual(kept.sort(), ['client bytes', 'server bytes'], root);
        assert.equal(await textAt(root, 'same.txt'), 'one content', root);
        assert.equal((await conflictCopies(root, 'same.txt')).size, 0, root);
      }
    });
  }
});
