import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  conflictName,
  isConflictName,
  NAME_MAX,
  parseConflictName,
  parseVersionName,
  splitExt,
  truncateUtf8,
  versionName,
} from './names.js';
import { binaryFromText } from './paths.js';

const STAMP = '20240131-235959';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isValidUtf8(binary: string): boolean {
  try {
    strictUtf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    return true;
  } catch {
    return false;
  }
}

describe('splitExt', () => {
  it('splits at the last dot, unless it is the first character', () => {
    assert.deepEqual(splitExt('a.tar.gz'), ['a.tar', '.gz']);
    assert.deepEqual(splitExt('report.pdf'), ['report', '.pdf']);
    assert.deepEqual(splitExt('.bashrc'), ['.bashrc', '']);
    assert.deepEqual(splitExt('.config.json'), ['.config', '.json']);
    assert.deepEqual(splitExt('Makefile'), ['Makefile', '']);
    assert.deepEqual(splitExt('trailing.'), ['trailing', '.']);
  });
});

describe('versionName and conflictName', () => {
  it('put the stamp (and counter) between base and extension', () => {
    assert.equal(versionName('a.tar.gz', STAMP), `a.tar~${STAMP}.gz`);
    assert.equal(versionName('a.tar.gz', STAMP, 2), `a.tar~${STAMP}-2.gz`);
    assert.equal(versionName('.bashrc', STAMP), `.bashrc~${STAMP}`);
    assert.equal(conflictName('notes.txt', STAMP), `notes.conflict-${STAMP}.txt`);
    assert.equal(conflictName('notes.txt', STAMP, 3), `notes.conflict-${STAMP}-3.txt`);
    assert.equal(conflictName('.bashrc', STAMP), `.bashrc.conflict-${STAMP}`);
  });

  it('keep odd bytes unchanged', () => {
    const name = 'we\nird \xff\xfe.d\x01t';
    assert.equal(versionName(name, STAMP), `we\nird \xff\xfe~${STAMP}.d\x01t`);
  });

  it('never exceed 255 bytes: BASE is shortened, the extension and stamp kept', () => {
    const name = 'a'.repeat(251) + '.txt';
    assert.equal(name.length, NAME_MAX);
    const v = versionName(name, STAMP, 12);
    assert.equal(v.length, NAME_MAX);
    assert.ok(v.endsWith(`~${STAMP}-12.txt`), v);
    assert.ok(v.startsWith('aaaa'));
    const c = conflictName(name, STAMP);
    assert.equal(c.length, NAME_MAX);
    assert.ok(c.endsWith(`.conflict-${STAMP}.txt`), c);
    // Short names are not padded or cut.
    assert.equal(versionName('x'.repeat(200) + '.txt', STAMP).length, 200 + 1 + STAMP.length + 4);
  });

  it('an extension too long to leave room for BASE counts as part of the name', () => {
    const name = 'x.' + 'y'.repeat(253);
    const v = versionName(name, STAMP);
    assert.equal(v.length, NAME_MAX);
    assert.ok(v.startsWith('x.yyy') && v.endsWith(`~${STAMP}`), v);
  });

  it('never cut inside a UTF-8 multibyte sequence, whatever its length and position', () => {
    for (const ch of ['é', '€', '😀']) {
      const seq = binaryFromText(ch);
      for (let pad = 0; pad < 4; pad++) {
        const name = 'p'.repeat(pad) + seq.repeat(Math.ceil(260 / seq.length)) + '.md';
        for (const make of [versionName, conflictName]) {
          const out = make(name, STAMP);
          const what = `${make.name}(${pad} + ${JSON.stringify(ch)})`;
          assert.ok(out.length <= NAME_MAX, `${what}: ${out.length} bytes`);
          assert.ok(
            out.length > NAME_MAX - seq.length,
            `${what}: cut more than one character (${out.length})`,
          );
          assert.ok(isValidUtf8(out), `${what}: invalid UTF-8`);
        }
      }
    }
  });

  it('bytes that are not UTF-8 are cut exactly at the limit', () => {
    const name = '\xa9'.repeat(300);
    assert.equal(versionName(name, STAMP).length, NAME_MAX);
    assert.equal(truncateUtf8('ab\xc3', 3), 'ab\xc3');
    assert.equal(truncateUtf8('ab\xc3\xa9', 3), 'ab');
    assert.equal(truncateUtf8('a\x80\x80\x80\x80', 3), 'a\x80\x80');
    assert.equal(truncateUtf8('abc', 0), '');
  });
});

describe('parseVersionName, parseConflictName, isConflictName', () => {
  it('recover the original name, the stamp and the counter', () => {
    for (const name of ['a.tar.gz', '.bashrc', 'plain', 'we~ird.txt', `x~${STAMP}.txt`, 'nl\n.\xff']) {
      for (const n of [0, 1, 17]) {
        assert.deepEqual(
          parseVersionName(versionName(name, STAMP, n)),
          { original: name, stamp: STAMP, n },
          name,
        );
        assert.deepEqual(
          parseConflictName(conflictName(name, STAMP, n)),
          { original: name, stamp: STAMP, n },
          name,
        );
      }
    }
  });

  it('reject names that are not versions or conflict copies', () => {
    assert.equal(parseVersionName('notes.txt'), undefined);
    assert.equal(parseVersionName('notes~2024-01-01.txt'), undefined);
    assert.equal(parseVersionName(`~${STAMP}`), undefined);
    assert.equal(parseVersionName(`a~${STAMP}.tar.gz`), undefined);
    assert.equal(isConflictName('notes.txt'), false);
    assert.equal(isConflictName(`notes~${STAMP}.txt`), false);
    assert.equal(isConflictName(`notes.conflict-${STAMP}.txt`), true);
    assert.equal(isConflictName(`.bashrc.conflict-${STAMP}-2`), true);
  });
});
