import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fault = new URL('./fault.js', import.meta.url).href;

/** A child node that calls faultPoint('a'), ('b', a path), ('c') and then prints "survived". */
function runChild(env: Record<string, string>) {
  const script = `const { faultPoint } = await import(${JSON.stringify(fault)});
faultPoint('a'); faultPoint('b', Buffer.from('/x/y\\n', 'latin1')); faultPoint('c'); console.log('survived');`;
  const { LAZYSYNC_FAULT_STEP: _s, LAZYSYNC_FAULT_TRACE: _t, ...rest } = process.env;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...rest, ...env },
    encoding: 'utf8',
  });
}

describe('faultPoint', () => {
  it('does nothing without the environment variables', () => {
    const r = runChild({});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'survived\n');
  });

  it('kills the process with SIGKILL at the Nth call, after tracing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazysync-fault-'));
    try {
      const trace = join(dir, 'trace');
      const r = runChild({ LAZYSYNC_FAULT_STEP: '2', LAZYSYNC_FAULT_TRACE: trace });
      assert.equal(r.signal, 'SIGKILL', r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(readFileSync(trace, 'utf8'), '1 a\n2 b "/x/y\\n"\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('only traces when no step is set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazysync-fault-'));
    try {
      const trace = join(dir, 'trace');
      const r = runChild({ LAZYSYNC_FAULT_TRACE: trace });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(trace, 'utf8'), '1 a\n2 b "/x/y\\n"\n3 c\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a step that is not a whole number from 1', () => {
    const r = runChild({ LAZYSYNC_FAULT_STEP: '0' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /LAZYSYNC_FAULT_STEP must be a whole number from 1/);
  });
});
