import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { apiError, startStandIn, type StandIn } from '../../test/unit/api.js';

/** Runs the program in a child process (as bin/lazysync.js does); returns the exit code and the output. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const url = new URL('./main.js', import.meta.url).href;
  const script = `const { main } = await import(${JSON.stringify(url)}); process.exitCode = await main(['node', 'lazysync', ...process.argv.slice(1)]);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, out, err };
}

describe('client commands through main(): exit codes and one-line errors', () => {
  let api: StandIn;
  before(async () => {
    api = await startStandIn({
      'POST /v1/pairs/a/rescan': () => ({ body: { started: true } }),
      'POST /v1/pin': () => apiError(400, 'bad-request', 'paths must be inside a pair'),
      'POST /v1/pairs/zz/pause': () => apiError(404, 'not-found', 'no pair named "zz"'),
      'POST /v1/pairs/held/pause': () => apiError(409, 'conflict', 'held by another process'),
    });
  });
  after(() => api.close());

  it('success: 0', async () => {
    assert.deepEqual(await run('rescan', 'a', '--socket', api.socket), {
      code: 0,
      out: 'rescan started for a\n',
      err: '',
    });
  });

  it('no daemon: 1, one line saying how to start one', async () => {
    const r = await run('status', '--socket', '/nonexistent/lazysync.sock');
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'lazysync: no lazysync daemon is running on /nonexistent/lazysync.sock; start one with `lazysync start` (or `lazysync daemon` in the foreground)\n',
    );
  });

  it('the API refusing a request as bad or naming nothing it has: 2; another API error: 1', async () => {
    assert.deepEqual(await run('pin', '/x', '--socket', api.socket), {
      code: 2,
      out: '',
      err: 'lazysync: paths must be inside a pair\n',
    });
    assert.deepEqual(await run('pause', 'zz', '--socket', api.socket), {
      code: 2,
      out: '',
      err: 'lazysync: no pair named "zz"\n',
    });
    assert.deepEqual(await run('pause', 'held', '--socket', api.socket), {
      code: 1,
      out: '',
      err: 'lazysync: held by another process\n',
    });
  });

  it('usage errors: 2, one line, nothing sent', async () => {
    const before = api.requests.length;
    const cases: [string[], string][] = [
      [
        ['restore', '/x', '--at', 'yesterday', '--socket', api.socket],
        "lazysync: --at takes a version like 20261128-101500 (see `lazysync versions PATH`), a UTC time like '2026-11-28 10:15' or a time ago like 2h, not 'yesterday'\n",
      ],
      [
        ['log-level', 'loud', '--socket', api.socket],
        "lazysync: log-level takes one of trace, debug, info, warn, error, not 'loud'\n",
      ],
      [['pin', '--socket', api.socket], "lazysync: missing required argument 'path'\n"],
      [['status', 'a', 'b'], "lazysync: too many arguments for 'status'. Expected 1 argument but got 2.\n"],
      [['resume', '--confirm'], "lazysync: unknown option '--confirm'\n"],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    cases.forEach(([args, err], i) =>
      assert.deepEqual(results[i], { code: 2, out: '', err }, args.join(' ')),
    );
    assert.equal(api.requests.length, before);
  });

  it('`service` without a subcommand shows its help and exits 2', async () => {
    const r = await run('service');
    assert.equal(r.code, 2);
    assert.match(r.err, /Usage: lazysync service/);
    assert.doesNotMatch(r.err, /outputHelp/);
  });

  it('--help of a client command: 0', async () => {
    const r = await run('pin', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: lazysync pin \[options\] <path\.\.\.>/);
    assert.match(r.out, /--socket <path>/);
  });
});
