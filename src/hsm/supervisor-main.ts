// The supervisor process: `node supervisor-main.js --hsm-key=KEY ROOT_HEX RUNTIME_DIR`. Started detached by
// the daemon (HsmClient.connect), it outlives it on purpose. Exit codes: 0 stopped by a signal, 3 file
// placeholders are not possible here (the reason is the last line of the log), 4 another supervisor of the
// same folder runs.
import fs from 'node:fs';
import { messageOf } from '../errors.js';
import {
  EXIT_RUNNING,
  EXIT_UNAVAILABLE,
  UNAVAILABLE_PREFIX,
  claimPidFile,
  commandMarker,
  ensureRuntimeDir,
  supervisorFiles,
} from './files.js';
import { Supervisor } from './supervisor.js';
import { HsmUnavailable } from './unavailable.js';

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} hsm[${process.pid}] ${line}\n`);
}

async function main(): Promise<number> {
  const [marker, rootHex, dir] = process.argv.slice(2);
  if (marker === undefined || rootHex === undefined || dir === undefined) {
    log('usage: supervisor-main.js --hsm-key=KEY ROOT_HEX RUNTIME_DIR');
    return 2;
  }
  // Nothing of ours may keep the local folder's filesystem busy: it must stay unmountable.
  process.chdir('/');
  ensureRuntimeDir(dir);
  const files = supervisorFiles(Buffer.from(rootHex, 'hex').toString('latin1'), dir);
  if (marker !== commandMarker(files.key)) {
    log(`the key ${marker} is not the one of this folder (${files.key})`);
    return 2;
  }
  const other = claimPidFile(files);
  if (other !== undefined) {
    log(`the supervisor of this folder runs already (pid ${other})`);
    return EXIT_RUNNING;
  }
  let sup: Supervisor;
  try {
    sup = new Supervisor({ root: files.root, socketPath: files.sock, log });
    await sup.listen();
  } catch (e) {
    fs.rmSync(files.pid, { force: true });
    if (e instanceof HsmUnavailable) {
      log(UNAVAILABLE_PREFIX + e.message);
      return EXIT_UNAVAILABLE;
    }
    throw e;
  }
  log(`watching ${files.root.toString('latin1')} in ${sup.mode} mode`);
  const stop = (signal: string): void => {
    log(`${signal}: denying what is pending and stopping`);
    sup.close();
    fs.rmSync(files.pid, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined); // the daemon's terminal going away is no reason to stop
  // Dying would let the kernel allow every pending access (readers would see zeros): log and go on.
  process.on('uncaughtException', (e) => log(`uncaught: ${messageOf(e)}`));
  process.on('unhandledRejection', (e) => log(`unhandled: ${messageOf(e)}`));
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    log(`failed: ${messageOf(e)}`);
    process.exit(1);
  },
);
