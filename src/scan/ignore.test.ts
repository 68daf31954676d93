import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Entry, RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { b, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';
import { loadIgnore, matcherOf } from './ignore.js';
import { scanTree } from './walk.js';

describe('matcherOf', () => {
  it('ignores nothing without a rule (blank lines and comments only)', () => {
    for (const rules of [[], [''], ['# a comment', '   ']]) {
      const m = matcherOf(rules);
      assert.equal(m('a', false), false);
      assert.equal(m('# a comment', false), false);
      assert.equal(m('d', true), false);
    }
  });

  const m = matcherOf(['*.log', '!keep.log', 'build/', '/top', 'a/**/b', 'x?y', '# a comment', '']);

  it('follows gitignore rules: globs, negation, anchoring, dir-only patterns', () => {
    const cases: [RelPath, boolean, boolean][] = [
      ['a.log', false, true],
      ['d/e.log', false, true],
      ['keep.log', false, false],
      ['build', true, true],
      ['build', false, false],
      ['src/build', true, true],
      ['top', false, true],
      ['d/top', false, false],
      ['a/q/r/b', false, true],
      ['xzy', false, true],
      ['# a comment', false, false],
      ['A.LOG', false, false], // case-sensitive, like git on Linux
    ];
    for (const [p, isDir, want] of cases)
      assert.equal(m(p, isDir), want, `${JSON.stringify(p)} dir=${isDir}`);
  });

  it('matches names that are not UTF-8 and names with newlines without crashing', () => {
    assert.equal(m('\xff\xfe.log', false), true);
    assert.equal(m('new\nline.log', false), true);
    assert.equal(m('\xff/\x80b', false), false);
    assert.equal(matcherOf(['\xff*'])('\xffabc', false), true);
    // `?` is one byte, as in git's wildmatch
    assert.equal(matcherOf(['x?y'])('x\xc3\xa9y', false), false);
    assert.equal(matcherOf(['x??y'])('x\xc3\xa9y', false), true);
  });

  it('keeps answering the same after its cache is dropped', () => {
    const mm = matcherOf(['*.o']);
    for (let i = 0; i < 10_000; i++) {
      assert.equal(mm(`d${i}/f.o`, false), true);
      assert.equal(mm(`d${i}/f.c`, false), false);
    }
  });
});

describe('loadIgnore', () => {
  let root = '';
  before(() => {
    root = makeTmp('ignore');
    fs.writeFileSync(b(`${root}/.lazysyncignore`), b('# rules\r\n*.tmp\r\ncache/\n\xff*\n'));
  });
  after(() => rmTmp(root));

  it('combines CLI patterns (UTF-8 text) with .lazysyncignore (bytes, CRLF tolerated)', async () => {
    const m = await loadIgnore(root, ['é*', 'node_modules']);
    assert.equal(m('a.tmp', false), true);
    assert.equal(m('cache', true), true);
    assert.equal(m('cache', false), false);
    assert.equal(m('\xffname', false), true);
    assert.equal(m('\xc3\xa9t\xc3\xa9', false), true, 'é* from the CLI matches the UTF-8 bytes of été');
    assert.equal(m('x/node_modules', true), true);
    assert.equal(m('keep.txt', false), false);
  });

  it('works without a .lazysyncignore', async () => {
    const dir = makeTmp('ignore-none');
    try {
      const m = await loadIgnore(dir, ['*.bak']);
      assert.equal(m('a.bak', false), true);
      assert.equal(m('a.tmp', false), false);
    } finally {
      rmTmp(dir);
    }
  });

  it('fails with an io error when .lazysyncignore exists but cannot be read', async () => {
    const dir = makeTmp('ignore-bad');
    try {
      mkdir(dir, '.lazysyncignore');
      await assert.rejects(loadIgnore(dir, []), (e) => e instanceof LazysyncError && e.code === 'io');
    } finally {
      rmTmp(dir);
    }
  });

  it('drives the scan: ignored files and folders are not yielded, the rest is', async () => {
    put(root, 'keep/a.txt');
    put(root, 'keep/a.tmp');
    put(root, 'cache/big');
    put(root, 'sub/cache/big');
    put(root, '\xffx');
    const ignore = await loadIgnore(root, []);
    const got: [RelPath, Entry][] = [];
    for await (const pair of scanTree(root, { side: 'local', concurrency: 4, ignore })) got.push(pair);
    assert.deepEqual(
      got.map(([p]) => p),
      ['.lazysyncignore', 'keep', 'keep/a.txt', 'sub'],
    );
  });
});
