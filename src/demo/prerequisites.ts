// What the demo needs from the machine, checked before anything is made, so a missing piece is one line
// saying what to install instead of a failure half-way through.
import fs from 'node:fs';
import path from 'node:path';
import { LazysyncError } from '../errors.js';

export interface MachineFacts {
  sshfs: boolean;
  sshd: boolean;
  sshKeygen: boolean;
  fusermount: boolean;
  devFuse: boolean;
  /** Whether this user may open /dev/fuse for reading and writing, as sshfs must. */
  devFuseUsable: boolean;
}

/** The Debian package of each program the demo runs. */
const PACKAGE_OF: Record<Exclude<keyof MachineFacts, 'devFuse' | 'devFuseUsable'>, string> = {
  sshfs: 'sshfs',
  sshd: 'openssh-server',
  sshKeygen: 'openssh-client',
  fusermount: 'fuse3',
};

/** One line saying what is missing and what to do, or undefined when the demo can run. */
export function missingPrerequisite(f: MachineFacts): string | undefined {
  const packages = [
    ...new Set(
      (Object.keys(PACKAGE_OF) as (keyof typeof PACKAGE_OF)[]).filter((k) => !f[k]).map((k) => PACKAGE_OF[k]),
    ),
  ];
  if (packages.length > 0) {
    // sshfs and openssh-server always go together in the advice: that pair is what a newcomer lacks.
    const all = [...new Set(['sshfs', 'openssh-server', ...packages])];
    return `the demo serves a sample remote over ssh on 127.0.0.1 and needs ${packages.join(', ')}: install with \`apt-get install ${all.join(' ')}\``;
  }
  if (!f.devFuse) {
    return 'the demo mounts its sample remote with sshfs, which needs /dev/fuse, and this system has none (in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN)';
  }
  if (!f.devFuseUsable) {
    return 'the demo mounts its sample remote with sshfs, which needs read and write access to /dev/fuse, and you have none: run it as root, or give users access as most distributions do (chmod 666 /dev/fuse)';
  }
  return undefined;
}

/** Where the demo runs sshd from: /usr/sbin is not on every user's PATH. */
export const SSHD_PATH = '/usr/sbin/sshd';

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(':').some((dir) => dir !== '' && isExecutable(path.join(dir, program)));
}

function isReadWritable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function isCharDevice(p: string): boolean {
  try {
    return fs.statSync(p).isCharacterDevice();
  } catch {
    return false;
  }
}

export function machineFacts(env: NodeJS.ProcessEnv = process.env): MachineFacts {
  return {
    sshfs: onPath('sshfs', env),
    sshd: isExecutable(SSHD_PATH),
    sshKeygen: onPath('ssh-keygen', env),
    fusermount: onPath('fusermount3', env) || onPath('fusermount', env),
    devFuse: isCharDevice('/dev/fuse'),
    devFuseUsable: isReadWritable('/dev/fuse'),
  };
}

/** Throws a usage error (exit 2) naming what to install, if anything is missing. */
export function checkPrerequisites(facts: MachineFacts = machineFacts()): void {
  const missing = missingPrerequisite(facts);
  if (missing !== undefined) throw new LazysyncError('usage', missing);
}
