// A first sync that compares much shows a progress bar on stderr when it is a terminal (run here under a
// pseudo-terminal with script(1)), and writes nothing of it when stderr is not one. Plain folders suffice:
// `sync` only warns that the remote is not a mount of its own.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellArg } from '../../src/cli/format.js';
import { binPath, runCli } from '../fixture/cli.js';

const MiB = 1024 * 1024;
const T = new Date(Date.now() - 600_000);

/** R and L with two 40 MiB files on both sides that agree in size and mtime second; b.bin's bytes differ. */
async function newPair(base: string, name: string): Promise<{ remote: string; local: string }> {
  const remote = join(base, `${name}-remote`);
  const local = join(base, `${name}-local`);
  for (const root of [remote, local]) {
    await mkdir(root);
    for (const file of ['a.bin', 'b.bin']) {
      const bytes = Buffer.alloc(40 * MiB, 1);
      if (root === local && file === 'b.bin') bytes[bytes.length - 1] = 2;
      await writeFile(join(root, file), bytes);
      await utimes(join(root, file), T, T);
    }
  }
  return { remote, local };
}

/** Runs `cmd` under a pseudo-terminal; what the terminal showed (stdout and stderr) and the exit code. */
function underTerminal(cmd: string, home: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, HOME: home, COLUMNS: '120' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, screen: Buffer.concat(out).toString('utf8') }));
  });
}

describe('compare progress bar', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'lazysync-compare-bar-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('shows on a terminal and ends at the total; the differing file is a conflict', async () => {
    const p = await newPair(base, 'tty');
    const cmd = [process.execPath, binPath, 'sync', '-r', p.remote, '-l', p.local].map(shellArg).join(' ');
    const r = await underTerminal(cmd, join(base, 'home'));
    assert.equal(r.code, 0, r.screen);
    assert.match(r.screen, /comparing .*100% 80 MiB \/ 80 MiB/, r.screen);
    assert.match(r.screen, /1 conflicts/, r.screen);
  });

  it('writes nothing of it when stderr is not a terminal', async () => {
    const p = await newPair(base, 'pipe');
    const r = await runCli(['sync', '-r', p.remote, '-l', p.local]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /1 conflicts/);
    assert.doesNotMatch(r.stderr, /comparing|█|░/, r.stderr);
  });
});
