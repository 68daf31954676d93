// One transfer per file, whoever asks: `pin`, a program opening the placeholder and a pass that wants the
// pinned file local all ask for the same download at once; the file crosses the network once, and `pin`
// answers success when the file is local and whole.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllCli, newPair, startRemote, writeFileAt, type Pair, type Remote } from '../fixture/index.js';
import {
  isLocalCopy,
  isPlaceholder,
  recordEvents,
  specOf,
  startDaemon,
  type Daemon,
} from '../fixture/daemon.js';

const SIZE = 24 << 20;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('one transfer per file', { timeout: 300_000 }, () => {
  let remote: Remote;
  let d: Daemon;
  let p: Pair;
  const content = randomBytes(SIZE);

  before(async () => {
    remote = await startRemote();
    p = await newPair(remote, 'one');
    await writeFileAt(p.server, 'big.bin', content);
    d = await startDaemon({ pairs: [specOf(p, 'one', { interval: 3600 })] });
    await d.waitPass('one');
  });
  after(async () => {
    await d?.stop().catch(() => undefined);
    await d?.dispose();
    await killAllCli();
    await remote.stop();
  });

  it('pin, an open and a pass of one placeholder download it once; pin reports it local', async () => {
    assert.ok(await isPlaceholder(p, 'big.bin'));
    // A slow link keeps the download in flight while the other requests arrive.
    await d.ok(['bwlimit', '8M', 'one']);
    const rec = await recordEvents(d.socket);
    try {
      const pin = d.cli(['pin', join(p.local, 'big.bin')]);
      // A program reads the file through its placeholder while the pin's download runs...
      await d.waitFor(
        () => rec.events.some((e) => e.type === 'transfer' && e.path === 'big.bin'),
        'the pin to start downloading big.bin',
      );
      const read = readFile(join(p.local, 'big.bin'));
      // ...and a pass, which now wants the pinned file local, runs too.
      await d.ok(['rescan', 'one']);
      const [r, seen] = await Promise.all([pin, read]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /pinned big\.bin in one \(1 file local\)/, r.stdout);
      assert.doesNotMatch(r.stdout + r.stderr, /retry|vanished/i, 'pin succeeded without a retry');
      assert.equal(sha(seen), sha(content), 'the program read the whole file');
      assert.ok(await isLocalCopy(p, 'big.bin'), 'big.bin is a local copy');
      assert.equal(sha(await readFile(join(p.local, 'big.bin'))), sha(content));

      await d.waitPass('one');
      const downloads = rec.events.filter(
        (e) => e.type === 'transfer' && e.path === 'big.bin' && e.direction === 'download' && e.done === true,
      );
      assert.equal(downloads.length, 1, `big.bin was downloaded ${downloads.length} times`);
    } finally {
      rec.stop();
    }
  });
});
