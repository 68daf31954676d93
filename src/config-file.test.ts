import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LazysyncError } from './errors.js';
import {
  addPairToFile,
  defaultConfigPath,
  loadConfigFile,
  removePairFromFile,
  writeFileAtomic,
} from './config-file.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp folder with pair folders remote/NAME and local/NAME, and the config file path inside it. */
function setup(...names: string[]): {
  dir: string;
  file: string;
  r: (n: string) => string;
  l: (n: string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'lazysync-config-'));
  dirs.push(dir);
  for (const n of names) {
    mkdirSync(join(dir, 'remote', n), { recursive: true });
    mkdirSync(join(dir, 'local', n), { recursive: true });
  }
  return {
    dir,
    file: join(dir, 'conf', 'config.toml'),
    r: (n) => join(dir, 'remote', n),
    l: (n) => join(dir, 'local', n),
  };
}

function write(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

function assertUsage(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LazysyncError, `not a LazysyncError: ${String(e)}`);
    assert.equal(e.code, 'usage');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('defaultConfigPath', () => {
  it('uses $XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/lazysync/config.toml');
    assert.equal(defaultConfigPath({}), join(homedir(), '.config', 'lazysync', 'config.toml'));
    assert.equal(
      defaultConfigPath({ XDG_CONFIG_HOME: 'relative' }),
      join(homedir(), '.config', 'lazysync', 'config.toml'),
    );
  });
});

describe('loadConfigFile', () => {
  it('a missing file has no pairs', () => {
    const { file } = setup();
    assert.deepEqual(loadConfigFile(file), { pairs: [] });
  });

  it('reads every key into a PairConfig, with defaults and the name from the local folder', () => {
    const { file, r, l } = setup('projects', 'photos');
    write(
      file,
      `log_level = "debug"
[[pair]]
remote = "${r('projects')}"
local = "${l('projects')}"

[[pair]]
name = "pics"
remote = "${r('photos')}"
local = "${l('photos')}"
lazy = false
interval = 5.5
ignore = ["*.tmp"]
pin = ["docs/"]
max_size = "1G"
cache_max = 1024
max_delete = 20
access_detect = "proc"
placeholders = "file"
no_fetch_by = ["updatedb", "/opt/idx/"]
versions_max_age = "30d"
versions_max_count = 10
versions_max_total = "20G"
versions_staggered = true
versions_skip_above = "1G"
`,
    );
    const c = loadConfigFile(file);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(
      c.pairs.map((p) => p.name),
      ['projects', 'pics'],
    );
    const [a, b] = c.pairs.map((p) => p.cfg);
    assert.equal(a?.lazy, true);
    assert.equal(a?.interval, 30);
    assert.equal(a?.maxDelete, 50);
    assert.equal(a?.accessDetect, 'inotify');
    assert.equal(a?.maxSize, undefined);
    assert.equal(a?.logLevel, 'debug');
    assert.deepEqual(
      { ...b, logLevel: undefined },
      {
        remote: r('photos'),
        local: l('photos'),
        lazy: false,
        interval: 5.5,
        dryRun: false,
        ignore: ['*.tmp'],
        maxDelete: 20,
        confirmDeletes: false,
        logLevel: undefined,
        pin: ['docs/'],
        maxSize: 2 ** 30,
        cacheMax: 1024,
        accessDetect: 'proc',
        placeholders: 'file',
        noFetchBy: ['updatedb', '/opt/idx/'],
        versionsMaxAge: 30 * 86_400_000,
        versionsMaxCount: 10,
        versionsMaxTotal: 20 * 2 ** 30,
        versionsStaggered: true,
        versionsSkipAbove: 2 ** 30,
      },
    );
    assert.equal(a?.versionsStaggered, false);
    assert.equal(a?.versionsMaxAge, undefined);
    assert.equal(a?.placeholders, 'link');
    assert.deepEqual(a?.noFetchBy, []);
  });

  it('expands ~/ in folders', () => {
    const { file } = setup();
    write(
      file,
      `[[pair]]\nremote = "~/lazysync-test-remote-that-is-absent"\nlocal = "~/lazysync-test-local"\n`,
    );
    const [p] = loadConfigFile(file).pairs;
    assert.equal(p?.cfg.local, join(homedir(), 'lazysync-test-local'));
    assert.equal(p?.name, 'lazysync-test-local');
  });

  const wrong: [string, string, string][] = [
    ['interval = "30"', 'pair[1].interval', 'expected a number, not the string "30"'],
    ['lazy = "yes"', 'pair[1].lazy', 'expected true or false, not the string "yes"'],
    ['ignore = "*.tmp"', 'pair[1].ignore', 'expected a list, not the string "*.tmp"'],
    ['pin = ["a", 3]', 'pair[1].pin[1]', 'expected a string, not number 3'],
    ['max_size = "big"', 'pair[1].max_size', 'expected a size like "512", "64K", "10M" or "2G"'],
    ['cache_max = -1', 'pair[1].cache_max', 'expected a size like "512", "64K", "10M" or "2G"'],
    ['max_delete = 101', 'pair[1].max_delete', 'must be between 0 and 100'],
    ['interval = 0', 'pair[1].interval', 'must be between 0.1 and 86400'],
    ['access_detect = "fanotify"', 'pair[1].access_detect', 'expected one of inotify, proc'],
    ['versions_max_age = "30"', 'pair[1].versions_max_age', 'expected a time like "30d" or "12h"'],
    ['versions_max_age = 30', 'pair[1].versions_max_age', 'expected a string, not number 30'],
    [
      'versions_max_count = 2.5',
      'pair[1].versions_max_count',
      'must be a whole number between 1 and 1000000',
    ],
    [
      'versions_max_total = "lots"',
      'pair[1].versions_max_total',
      'expected a size like "512", "64K", "10M" or "2G"',
    ],
    ['name = "a/b"', 'pair[1].name', "must be a non-empty name without '/' or control characters"],
    ['colour = "blue"', 'pair[1].colour', 'unknown key'],
  ];
  for (const [line, key, message] of wrong) {
    it(`names the key and the file: ${line}`, () => {
      const { file, r, l } = setup('a', 'b');
      write(
        file,
        `[[pair]]\nremote = "${r('a')}"\nlocal = "${l('a')}"\n[[pair]]\nremote = "${r('b')}"\nlocal = "${l('b')}"\n${line}\n`,
      );
      assertUsage(() => loadConfigFile(file), `config ${file}: ${key}: ${message}`);
    });
  }

  it('names missing and relative folders, top-level keys and TOML syntax errors', () => {
    const { file, l } = setup('a');
    write(file, `[[pair]]\nlocal = "${l('a')}"\n`);
    assertUsage(() => loadConfigFile(file), `config ${file}: pair[0].remote: is required`);
    write(file, `[[pair]]\nremote = "rel/x"\nlocal = "${l('a')}"\n`);
    assertUsage(
      () => loadConfigFile(file),
      `config ${file}: pair[0].remote: must be an absolute path (or start with ~/)`,
    );
    write(file, `log_level = "loud"\n`);
    assertUsage(
      () => loadConfigFile(file),
      `config ${file}: log_level: expected one of trace, debug, info, warn, error`,
    );
    write(file, `socket = "/x"\n`);
    assertUsage(() => loadConfigFile(file), `config ${file}: socket: unknown key`);
    write(file, `pair = 3\n`);
    assertUsage(() => loadConfigFile(file), `config ${file}: pair: expected a list, not number 3`);
    write(file, `[[pair]]\nremote = "/a"\nremote = "/b"\n`);
    assertUsage(() => loadConfigFile(file), new RegExp(`^config ${file}: line 3, column \\d+: .*redefine`));
  });

  it("reports pairConfigFrom's checks with the pair's index", () => {
    const { file, dir } = setup();
    write(file, `[[pair]]\nremote = "${dir}/r"\nlocal = "${dir}/r/inside"\n`);
    assertUsage(
      () => loadConfigFile(file),
      `config ${file}: pair[0]: the local folder ${dir}/r/inside is inside the remote folder ${dir}/r`,
    );
  });

  it('refuses two pairs with one name, one local folder, or nested local folders', () => {
    const { file, r, l } = setup('a', 'b');
    const pair = (remote: string, local: string, name?: string): string =>
      `[[pair]]\n${name !== undefined ? `name = "${name}"\n` : ''}remote = "${remote}"\nlocal = "${local}"\n`;
    write(file, pair(r('a'), l('a'), 'x') + pair(r('b'), l('b'), 'x'));
    assertUsage(
      () => loadConfigFile(file),
      `config ${file}: pair[1]: a pair named 'x' already exists (give this one another name)`,
    );
    write(file, pair(r('a'), l('a'), 'x') + pair(r('b'), l('a'), 'y'));
    assertUsage(
      () => loadConfigFile(file),
      `config ${file}: pair[1]: the local folder ${l('a')} already belongs to pair 'x'`,
    );
    write(file, pair(r('a'), l('a')) + pair(r('b'), `${l('a')}/sub`));
    assertUsage(
      () => loadConfigFile(file),
      /pair\[1\]: the local folder .*\/sub is inside the local folder .* of pair 'a'$/,
    );
    // Two folders called "a" in different places: the default names clash.
    mkdirSync(join(r('b'), '..', '..', 'other'));
    write(file, pair(r('a'), l('a')) + pair(r('b'), join(r('b'), '..', '..', 'other', 'a')));
    assertUsage(() => loadConfigFile(file), /pair\[1\]: a pair named 'a' already exists/);
  });
});

describe('addPairToFile / removePairFromFile', () => {
  it('adds a pair to a missing file (creating its folders); the file loads back to the same pair', () => {
    const { file, r, l } = setup('a');
    addPairToFile(file, {
      name: 'a',
      remote: r('a'),
      local: l('a'),
      options: { lazy: false, maxSize: '10M', ignore: ['*.o'] },
    });
    const [p] = loadConfigFile(file).pairs;
    assert.equal(p?.name, 'a');
    assert.equal(p?.cfg.lazy, false);
    assert.equal(p?.cfg.maxSize, 10 * 2 ** 20);
    assert.deepEqual(p?.cfg.ignore, ['*.o']);
    assert.match(readFileSync(file, 'utf8'), /max_size = "10M"/);
  });

  it('add then remove keeps the other pairs, the top-level keys and the comments', () => {
    const { file, r, l } = setup('a', 'b', 'c');
    const original = `# my lazysync pairs
log_level = "warn"

# the first pair
[[pair]]
name = "a"
remote = "${r('a')}"
local = "${l('a')}"   # trailing comment
interval = 10

# the third pair
[[pair]]
name = "c"
remote = "${r('c')}"
local = "${l('c')}"
`;
    write(file, original);
    addPairToFile(file, { name: 'b', remote: r('b'), local: l('b'), options: { interval: 60 } });
    const afterAdd = readFileSync(file, 'utf8');
    assert.ok(afterAdd.startsWith(original), afterAdd);
    assert.deepEqual(
      loadConfigFile(file).pairs.map((p) => [p.name, p.cfg.interval]),
      [
        ['a', 10],
        ['c', 30],
        ['b', 60],
      ],
    );

    assert.equal(removePairFromFile(file, 'b'), true);
    assert.equal(readFileSync(file, 'utf8').trimEnd(), original.trimEnd());
    assert.equal(removePairFromFile(file, 'a'), true);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /# my lazysync pairs/);
    assert.match(text, /# the third pair/);
    assert.doesNotMatch(text, /the first pair|trailing comment/);
    const c = loadConfigFile(file);
    assert.equal(c.logLevel, 'warn');
    assert.deepEqual(
      c.pairs.map((p) => p.name),
      ['c'],
    );
    assert.equal(removePairFromFile(file, 'nope'), false);
  });

  it('removes a pair named by its local folder, and rewrites a file whose layout the line edit cannot follow', () => {
    const { file, r, l } = setup('a', 'b');
    write(
      file,
      `pair = [ { remote = "${r('a')}", local = "${l('a')}" }, { remote = "${r('b')}", local = "${l('b')}" } ]\n`,
    );
    assert.equal(removePairFromFile(file, 'a'), true);
    assert.deepEqual(
      loadConfigFile(file).pairs.map((p) => p.name),
      ['b'],
    );
  });

  it('refuses a name or local folder the file already has, and a broken file', () => {
    const { file, r, l } = setup('a', 'b');
    addPairToFile(file, { name: 'a', remote: r('a'), local: l('a'), options: {} });
    assertUsage(
      () => addPairToFile(file, { name: 'a', remote: r('b'), local: l('b'), options: {} }),
      `config ${file}: pair[0] is already named 'a'`,
    );
    assertUsage(
      () => addPairToFile(file, { name: 'b', remote: r('b'), local: `${l('a')}/`, options: {} }),
      `config ${file}: pair[0] already has the local folder ${l('a')}`,
    );
    write(file, 'pair = [\n');
    assertUsage(
      () => addPairToFile(file, { name: 'b', remote: r('b'), local: l('b'), options: {} }),
      /^config .*: line \d+/,
    );
  });

  it('writes atomically: no temp file is left, also when the write fails', () => {
    const { file, dir } = setup();
    writeFileAtomic(file, 'a = 1\n');
    writeFileAtomic(file, 'a = 2\n');
    assert.equal(readFileSync(file, 'utf8'), 'a = 2\n');
    assert.deepEqual(readdirSync(join(file, '..')), ['config.toml']);
    // The target is a folder: the rename fails, the temp is removed, the error names the file.
    const target = join(dir, 'conf', 'folder');
    mkdirSync(join(target, 'x'), { recursive: true });
    assert.throws(
      () => writeFileAtomic(target, 'x'),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.code === 'io' &&
        e.message.startsWith(`config ${target}: cannot write it`),
    );
    assert.deepEqual(readdirSync(join(file, '..')).sort(), ['config.toml', 'folder']);
  });
});
