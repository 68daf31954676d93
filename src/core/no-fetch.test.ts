import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_NO_FETCH, noFetchRules, refusedBy } from './no-fetch.js';

test('no rules given: the default list; none: no rule at all', () => {
  assert.deepEqual(noFetchRules([]), DEFAULT_NO_FETCH);
  assert.deepEqual(noFetchRules(['none']), []);
  assert.deepEqual(noFetchRules(['updatedb', 'none']), ['updatedb']);
});

test('which program a rule refuses', () => {
  const rows: [string[], string | null, string | null, string | undefined][] = [
    // by executable name
    [['baloo_file'], '/usr/bin/baloo_file', 'baloo_file', 'baloo_file'],
    [['baloo_file'], '/usr/bin/cat', 'cat', undefined],
    // by the kernel's shortened process name when the executable is gone
    [['tracker-miner-fs-3'], null, 'tracker-miner-f', 'tracker-miner-fs-3'],
    [['tracker-miner-fs-3'], null, null, undefined],
    // a name is never a substring match
    [['cat'], '/usr/bin/concat', 'concat', undefined],
    // by path, exactly, or below a folder
    [['/opt/idx/bin/indexer'], '/opt/idx/bin/indexer', 'indexer', '/opt/idx/bin/indexer'],
    [['/opt/idx/bin/indexer'], '/usr/bin/indexer', 'indexer', undefined],
    [['/opt/idx/'], '/opt/idx/bin/anything', 'anything', '/opt/idx/'],
    [['/opt/idx/'], '/opt/idxx/bin/anything', 'anything', undefined],
    [[], '/usr/bin/baloo_file', 'baloo_file', undefined],
  ];
  for (const [rules, exe, comm, want] of rows) {
    assert.equal(refusedBy(rules, exe, comm), want, `${JSON.stringify(rules)} ${exe} ${comm}`);
  }
});
