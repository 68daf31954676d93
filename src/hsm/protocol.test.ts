import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, parseRequest } from './protocol.js';

describe('LineSplitter', () => {
  it('emits whole lines only, across chunks', () => {
    const out: string[] = [];
    const s = new LineSplitter();
    s.push('{"a":1}\n{"b"', (l) => out.push(l));
    s.push(':2}\n\n{"c":3', (l) => out.push(l));
    assert.deepEqual(out, ['{"a":1}', '{"b":2}']);
    s.push('}\n', (l) => out.push(l));
    assert.deepEqual(out, ['{"a":1}', '{"b":2}', '{"c":3}']);
  });
});

describe('parseRequest', () => {
  it('accepts each op with what it needs', () => {
    assert.deepEqual(parseRequest('{"rid":1,"op":"hello","pid":12}'), { rid: 1, op: 'hello', pid: 12 });
    assert.deepEqual(parseRequest('{"rid":2,"op":"mark","path":"L2E="}'), {
      rid: 2,
      op: 'mark',
      path: 'L2E=',
    });
    assert.deepEqual(parseRequest('{"rid":3,"op":"fill","ids":[4,5],"from":"eA==","mtimeMs":1.5}'), {
      rid: 3,
      op: 'fill',
      ids: [4, 5],
      from: 'eA==',
      mtimeMs: 1.5,
    });
    assert.deepEqual(parseRequest('{"rid":4,"op":"deny","ids":[1]}'), {
      rid: 4,
      op: 'deny',
      ids: [1],
      errno: 'EIO',
    });
    assert.deepEqual(parseRequest('{"rid":5,"op":"release","ids":[9]}'), { rid: 5, op: 'release', ids: [9] });
  });

  it('names what is wrong, keeping the rid to answer', () => {
    assert.deepEqual(parseRequest('nope'), { rid: 0, error: 'not JSON' });
    assert.deepEqual(parseRequest('{"rid":7,"op":"allow","ids":[]}'), { rid: 7, error: 'allow: needs ids' });
    assert.deepEqual(parseRequest('{"rid":8,"op":"deny","ids":[1],"errno":"ENOENT"}'), {
      rid: 8,
      error: 'deny: errno must be one of EIO, EPERM, EAGAIN, EBUSY',
    });
    assert.deepEqual(parseRequest('{"rid":9,"op":"format"}'), { rid: 9, error: 'unknown op "format"' });
  });
});
