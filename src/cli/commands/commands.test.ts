import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LazysyncError } from '../../errors.js';
import { addBody, addCommand } from './add.js';
import { conflictsCommand } from './conflicts.js';
import { freeCommand } from './free.js';
import { logLevelCommand } from './log-level.js';
import { pauseCommand } from './pause.js';
import { pinCommand } from './pin.js';
import { removeCommand } from './remove.js';
import { rescanCommand } from './rescan.js';
import { restoreCommand } from './restore.js';
import { resumeCommand } from './resume.js';
import { unpinCommand } from './unpin.js';
import { versionsCommand } from './versions.js';
import {
  apiError,
  captureIo,
  samplePair,
  startStandIn,
  type Reply,
  type StandIn,
} from '../../../test/unit/api.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-cmds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A stand-in with two pairs, `a` and `b`; `b` answers 404 to actions when `bFails`. */
let api: StandIn;
let bFails = false;
const action =
  (state: string) =>
  (req: { url: string }): Reply => {
    const name = decodeURIComponent(req.url.split('/')[3] ?? '');
    if (name === 'b' && bFails) return apiError(404, 'not-found', 'no pair named "b"');
    return { body: samplePair({ name, state: state as 'idle' }) };
  };
before(async () => {
  api = await startStandIn({
    'GET /v1/status': () => ({
      body: { version: '0.1.0', pid: 1, pairs: [samplePair({ name: 'a' }), samplePair({ name: 'b' })] },
    }),
    'POST /v1/pairs': (req) => ({ status: 201, body: samplePair({ name: 'new', ...(req.body as object) }) }),
    'DELETE /v1/pairs/a': () => ({ body: { removed: 'a' } }),
    'DELETE /v1/pairs/zz': () => apiError(404, 'not-found', 'no pair named "zz"'),
    'POST /v1/pairs/a/pause': action('paused'),
    'POST /v1/pairs/b/pause': action('paused'),
    'POST /v1/pairs/a/resume': action('idle'),
    'POST /v1/pairs/w/resume': () => ({
      body: samplePair({ name: 'w', state: 'waiting-confirm', reason: 'would delete 9 of 10' }),
    }),
    'POST /v1/pairs/a/rescan': () => ({ body: { started: true } }),
    'POST /v1/pairs/b/rescan': () => ({ body: { started: true } }),
    'POST /v1/pin': (req) => ({
      body: {
        pinned: (req.body as { paths: string[] }).paths.map((p) => ({
          pair: 'a',
          path: path.basename(p),
          files: 3,
        })),
      },
    }),
    'POST /v1/unpin': () => ({ body: { unpinned: [{ pair: 'a', path: 'docs' }] } }),
    'POST /v1/free': (req) => {
      const paths = (req.body as { paths: string[] }).paths;
      if (paths.every((p) => p.endsWith('edited'))) {
        return {
          status: 409,
          body: {
            error: { code: 'conflict', message: 'nothing could be freed' },
            freed: [],
            refused: [{ pair: 'a', path: 'edited', reason: 'edited since the last sync' }],
          },
        };
      }
      if (paths.some((p) => p.endsWith('plain409')))
        return apiError(409, 'conflict', 'nothing could be freed');
      return {
        body: {
          freed: [{ pair: 'a', path: 'old.iso' }],
          refused:
            paths.length > 1 ? [{ pair: 'a', path: 'notes.txt', reason: 'edited since the last sync' }] : [],
        },
      };
    },
    'GET /v1/versions': () => ({
      body: {
        pair: 'a',
        path: 'doc.txt',
        versions: [
          {
            side: 'remote',
            stamp: '20261128-101500',
            version: '20261128-101500-1',
            size: 2048,
            kind: 'file',
            file: '/mnt/a/.lazysync/versions/doc~20261128-101500-1.txt',
          },
          {
            side: 'local',
            stamp: '20261127-090000',
            version: '20261127-090000',
            size: 12,
            kind: 'symlink',
            file: '/home/a/.lazysync/versions/doc~20261127-090000.txt',
          },
        ],
      },
    }),
    'POST /v1/restore': (req) => ({
      body: {
        pair: 'a',
        path: 'doc.txt',
        restored: {
          side: 'remote',
          stamp: ((req.body as { at?: string }).at ?? '20261128-101500').slice(0, 15),
          version: (req.body as { at?: string }).at ?? '20261128-101500',
        },
      },
    }),
    'GET /v1/conflicts': (req) => ({
      body: {
        conflicts: req.url.includes('pair=none')
          ? []
          : [
              {
                pair: 'a',
                path: 'a.txt',
                copy: 'a.conflict-20261128-101500.txt',
                copyMtime: '2026-11-28T10:14:00.000Z',
                originalMtime: null,
              },
            ],
      },
    }),
    'PUT /v1/log-level': (req) => ({ body: { level: (req.body as { level: string }).level } }),
  });
});
after(() => api.close());

function last(): { method: string; url: string; body: unknown } {
  const r = api.requests.at(-1);
  assert.ok(r !== undefined);
  return r;
}

describe('add', () => {
  const remote = path.join(tmp, 'remote');
  const local = path.join(tmp, 'local');
  fs.mkdirSync(remote);

  it('sends absolute folders and only the options given', async () => {
    const io = captureIo();
    const code = await addCommand(
      {
        socket: api.socket,
        remote,
        local,
        name: 'mine',
        lazy: 'n',
        maxSize: '10M',
        pin: ['*.pdf'],
        maxDelete: '20',
      },
      io,
    );
    assert.equal(code, 0);
    assert.deepEqual(last().body, {
      name: 'mine',
      remote,
      local,
      options: { lazy: false, pin: ['*.pdf'], maxSize: '10M', maxDelete: 20 },
    });
    assert.equal(io.stdout[0], `added mine: ${remote} <-> ${local} (lazy, idle)`);
  });

  it('refuses bad flags as usage errors before asking the daemon', () => {
    const bad: [object, RegExp][] = [
      [{ local }, /missing -r/],
      [{ remote, local, maxSize: '10X' }, /--max-size takes a size/],
      [{ remote, local, interval: 'soon' }, /--interval takes a number/],
      [{ remote, local, accessDetect: 'magic' }, /--access-detect/],
      [{ remote: path.join(tmp, 'typo'), local }, /does not exist/],
      [{ remote, local: remote }, /same folder/],
    ];
    for (const [opts, re] of bad) {
      assert.throws(
        () => addBody(opts),
        (e) => e instanceof LazysyncError && e.code === 'usage' && re.test(e.message),
      );
    }
  });
});

describe('remove, pause, resume, rescan', () => {
  it('remove names the pair; an unknown pair is the API error', async () => {
    const io = captureIo();
    assert.equal(await removeCommand('a', { socket: api.socket }, io), 0);
    assert.deepEqual(io.stdout, ['removed a (its folders and sync state are left as they are)']);
    await assert.rejects(removeCommand('zz', { socket: api.socket }, captureIo()), /no pair named "zz"/);
  });

  it('pause without a pair pauses every pair; one failure is a line and exit 1, the others go on', async () => {
    const io = captureIo();
    assert.equal(await pauseCommand(undefined, { socket: api.socket }, io), 0);
    assert.deepEqual(io.stdout, ['paused a', 'paused b']);
    bFails = true;
    try {
      const io2 = captureIo();
      assert.equal(await pauseCommand(undefined, { socket: api.socket }, io2), 1);
      assert.deepEqual(io2.stdout, ['paused a']);
      assert.deepEqual(io2.stderr, ['b: no pair named "b"']);
    } finally {
      bFails = false;
    }
  });

  it('resume sends confirmDeletes only when asked, and says when a pair still waits', async () => {
    const io = captureIo();
    await resumeCommand('a', { socket: api.socket, confirmDeletes: true }, io);
    assert.deepEqual(last().body, { confirmDeletes: true });
    assert.deepEqual(io.stdout, ['resumed a (idle)']);
    const io2 = captureIo();
    await resumeCommand('w', { socket: api.socket }, io2);
    assert.deepEqual(last().body, {});
    assert.equal(
      io2.stdout[0],
      'resumed w, which waits for delete confirmation: would delete 9 of 10; apply with `lazysync resume w --confirm-deletes`',
    );
  });

  it('rescan starts a pass on each pair', async () => {
    const io = captureIo();
    assert.equal(await rescanCommand(undefined, { socket: api.socket }, io), 0);
    assert.deepEqual(io.stdout, ['rescan started for a', 'rescan started for b']);
  });
});

describe('pin, unpin, free', () => {
  it('pin sends absolute paths and reports the files made local', async () => {
    const io = captureIo();
    assert.equal(await pinCommand(['docs', '/abs/x'], { socket: api.socket }, io), 0);
    assert.deepEqual(last().body, { paths: [path.resolve('docs'), '/abs/x'] });
    assert.deepEqual(io.stdout, ['pinned docs in a (3 files local)', 'pinned x in a (3 files local)']);
  });

  it('unpin', async () => {
    const io = captureIo();
    assert.equal(await unpinCommand(['/abs/docs'], { socket: api.socket }, io), 0);
    assert.deepEqual(io.stdout, ['unpinned docs in a']);
  });

  it('free prints what was freed and each refusal as an error line, exit 1 if any', async () => {
    const ok = captureIo();
    assert.equal(await freeCommand(['/abs/old.iso'], { socket: api.socket }, ok), 0);
    assert.deepEqual(ok.stdout, ['freed old.iso in a']);
    const some = captureIo();
    assert.equal(await freeCommand(['/abs/old.iso', '/abs/notes.txt'], { socket: api.socket }, some), 1);
    assert.deepEqual(some.stdout, ['freed old.iso in a']);
    assert.deepEqual(some.stderr, ['not freed: notes.txt in a: edited since the last sync']);
  });

  it('free: a 409 listing the refusals prints them; a bare 409 is the error', async () => {
    const io = captureIo();
    assert.equal(await freeCommand(['/abs/edited'], { socket: api.socket }, io), 1);
    assert.deepEqual(io.stderr, ['not freed: edited in a: edited since the last sync']);
    await assert.rejects(
      freeCommand(['/abs/plain409'], { socket: api.socket }, captureIo()),
      /nothing could be freed/,
    );
  });
});

describe('versions, restore, conflicts, log-level', () => {
  it('versions: a table with UTC times, the path sent as a query', async () => {
    const io = captureIo();
    await versionsCommand('/home/a/doc 1.txt', { socket: api.socket }, io);
    assert.equal(last().url, '/v1/versions?path=%2Fhome%2Fa%2Fdoc+1.txt');
    assert.deepEqual(io.stdout, [
      'SIDE    TIME                     VERSION               SIZE  FILE',
      'remote  2026-11-28 10:15:00 UTC  20261128-101500-1  2.0 KiB  /mnt/a/.lazysync/versions/doc~20261128-101500-1.txt',
      'local   2026-11-27 09:00:00 UTC  20261127-090000    symlink  /home/a/.lazysync/versions/doc~20261127-090000.txt',
    ]);
  });

  it('restore checks --at locally (usage error, nothing sent) and reports the version used', async () => {
    const before = api.requests.length;
    await assert.rejects(
      restoreCommand('/x', { socket: api.socket, at: 'yesterday' }, captureIo()),
      (e) => e instanceof LazysyncError && e.code === 'usage',
    );
    await assert.rejects(
      restoreCommand('/x', { socket: api.socket, at: '20261332-000000' }, captureIo()),
      /--at takes/,
    );
    assert.equal(api.requests.length, before);
    const io = captureIo();
    await restoreCommand('/home/a/doc.txt', { socket: api.socket, at: '20261127-090000-2' }, io);
    assert.deepEqual(last().body, { path: '/home/a/doc.txt', at: '20261127-090000-2' });
    assert.deepEqual(io.stdout, [
      'restored doc.txt in a from the remote version 20261127-090000-2 of 2026-11-27 09:00:00 UTC (the content it replaced was kept as a version)',
    ]);
    // A UTC time is sent as the version key of that second.
    await restoreCommand('/home/a/doc.txt', { socket: api.socket, at: '2026-11-28 10:15' }, captureIo());
    assert.deepEqual(last().body, { path: '/home/a/doc.txt', at: '20261128-101500' });
  });

  it('conflicts: a table, or a line saying there are none', async () => {
    const io = captureIo();
    await conflictsCommand(undefined, { socket: api.socket }, io);
    assert.deepEqual(io.stdout, [
      'PAIR  PATH   CONFLICT COPY                   PATH MODIFIED  COPY MODIFIED',
      'a     a.txt  a.conflict-20261128-101500.txt  -              2026-11-28 10:14:00 UTC',
    ]);
    const none = captureIo();
    await conflictsCommand('none', { socket: api.socket }, none);
    assert.equal(last().url, '/v1/conflicts?pair=none');
    assert.deepEqual(none.stdout, ['no conflicts']);
  });

  it('log-level checks the level locally and sends the pair when given', async () => {
    await assert.rejects(
      logLevelCommand('loud', undefined, { socket: api.socket }, captureIo()),
      /takes one of trace/,
    );
    const io = captureIo();
    await logLevelCommand('debug', 'a', { socket: api.socket }, io);
    assert.deepEqual(last().body, { level: 'debug', pair: 'a' });
    assert.deepEqual(io.stdout, ['log level of a: debug']);
    await logLevelCommand('warn', undefined, { socket: api.socket }, captureIo());
    assert.deepEqual(last().body, { level: 'warn' });
  });
});
