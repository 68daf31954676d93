import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENABLE_HINT, serviceInstallCommand, systemdWord, unitPath, unitText } from './service.js';
import { captureIo } from '../../../test/unit/api.js';

describe('unitText', () => {
  it('runs `node BIN daemon`, restarts on failure, starts with the user session', () => {
    const text = unitText('/usr/bin/node', '/opt/lazysync/bin/lazysync.js');
    assert.match(text, /^ExecStart=\/usr\/bin\/node \/opt\/lazysync\/bin\/lazysync\.js daemon$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.match(text, /^\[Install\]\nWantedBy=default\.target$/m);
  });

  it('quotes and escapes words for systemd', () => {
    assert.equal(systemdWord('/a/b-c_d.js'), '/a/b-c_d.js');
    assert.equal(systemdWord('/my dir/x.js'), '"/my dir/x.js"');
    assert.equal(systemdWord('/100%/x'), '/100%%/x');
    assert.equal(systemdWord('/a$b/"q"\\'), '"/a$$b/\\"q\\"\\\\"');
  });
});

describe('unitPath', () => {
  it('uses an absolute $XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(unitPath({ XDG_CONFIG_HOME: '/c' }, '/h'), '/c/systemd/user/lazysync.service');
    assert.equal(unitPath({ XDG_CONFIG_HOME: 'rel' }, '/h'), '/h/.config/systemd/user/lazysync.service');
    assert.equal(unitPath({}, '/h'), '/h/.config/systemd/user/lazysync.service');
  });
});

describe('serviceInstallCommand', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-unit-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const target = path.join(tmp, 'systemd/user/lazysync.service');

  it('writes the unit, creating its folder, and says how to enable it', () => {
    const io = captureIo();
    assert.equal(serviceInstallCommand({}, io, target, '/opt/l/bin/lazysync.js'), 0);
    assert.equal(fs.readFileSync(target, 'utf8'), unitText(process.execPath, '/opt/l/bin/lazysync.js'));
    assert.deepEqual(io.stdout, [`wrote ${target}`, `enable and start it with: ${ENABLE_HINT}`]);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ['lazysync.service'], 'no temp file left');
  });

  it('leaves an identical unit alone and replaces a different one', () => {
    const same = captureIo();
    serviceInstallCommand({}, same, target, '/opt/l/bin/lazysync.js');
    assert.match(same.stdout[0] ?? '', /already installed and up to date/);
    const other = captureIo();
    serviceInstallCommand({}, other, target, '/elsewhere/bin/lazysync.js');
    assert.equal(other.stdout[0], `updated ${target}`);
    assert.match(fs.readFileSync(target, 'utf8'), /\/elsewhere\/bin\/lazysync\.js daemon/);
  });

  it('--print only prints', () => {
    const io = captureIo();
    const elsewhere = path.join(tmp, 'not-written.service');
    serviceInstallCommand({ print: true }, io, elsewhere, '/b.js');
    assert.equal(io.raw.join(''), unitText(process.execPath, '/b.js'));
    assert.equal(fs.existsSync(elsewhere), false);
  });
});
