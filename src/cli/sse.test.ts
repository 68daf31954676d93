import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from './sse.js';

function parse(chunks: string[]): string[] {
  const got: string[] = [];
  const p = new SseParser((d) => got.push(d));
  for (const c of chunks) p.feed(c);
  return got;
}

describe('SseParser', () => {
  const stream = ': hello\n\ndata: {"a":1}\n\ndata: {"b":2}\n\n';

  it('gives each data line, whatever the chunk boundaries', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(
        parse([stream.slice(0, cut), stream.slice(cut)]),
        ['{"a":1}', '{"b":2}'],
        `cut at ${cut}`,
      );
    }
    assert.deepEqual(parse([...stream]), ['{"a":1}', '{"b":2}']);
  });

  it('accepts CRLF, no space after the colon, and data lines without a blank line between', () => {
    assert.deepEqual(parse(['data:{"a":1}\r\n\r\ndata: x\ndata: y\n']), ['{"a":1}', 'x', 'y']);
  });

  it('ignores comments, other fields and an unfinished last line', () => {
    assert.deepEqual(parse(['event: state\nid: 3\nretry: 10\n: ping\ndata: z\n\ndata: half']), ['z']);
  });

  it('drops a line that grows past the bound and resumes after its end', () => {
    const got: string[] = [];
    const p = new SseParser((d) => got.push(d));
    p.feed('data: ');
    for (let i = 0; i < 20; i++) p.feed('x'.repeat(65536));
    p.feed('still the long line\ndata: ok\n');
    assert.deepEqual(got, ['ok']);
  });
});
