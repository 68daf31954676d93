// `lazysync doctor -r R`: what the mount holding R can do, and the mount options to use for its kind.
// Needs no pair: it writes only a scratch folder R/.lazysync/probe-* and removes it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { LazysyncError, hasCode } from '../../errors.js';
import { describeProbe, mountAdvice } from '../../fsops/probe-advice.js';
import { mountOptionsOf, probeMount } from '../../fsops/probe-run.js';
import { subcommand, type SetCode } from '../command.js';
import { stdio, type Io } from '../io.js';
import { pairFlag } from '../pair-flags.js';

export function register(program: Command, setCode: SetCode): void {
  subcommand(program, 'doctor', 'probe what the mounted remote can do and print the mount options to use')
    .addOption(pairFlag('remote'))
    .action(async (opts: DoctorOptions) => setCode(await doctorCommand(opts)));
}

export interface DoctorOptions {
  remote?: string;
}

export async function doctorCommand(opts: DoctorOptions, io: Io = stdio): Promise<number> {
  if (opts.remote === undefined || opts.remote === '') {
    throw new LazysyncError('usage', 'missing -r/--remote FOLDER (the mounted remote folder)');
  }
  const remote = path.resolve(opts.remote);
  try {
    if (!(await fs.stat(remote)).isDirectory()) {
      throw new LazysyncError('usage', `the remote ${remote} is not a folder`);
    }
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) {
      throw new LazysyncError('usage', `the remote folder ${remote} does not exist`);
    }
    throw e;
  }
  const root = Buffer.from(remote, 'utf8').toString('latin1');
  const probe = await probeMount(root, { leaveNoStateDir: true });
  io.out(`remote: ${remote}`);
  for (const line of describeProbe(probe)) io.out(line);
  const options = await mountOptionsOf(root);
  if (options !== undefined) io.out(`mount options now: ${options}`);
  const advice = mountAdvice(probe);
  if (advice.length > 0) {
    io.out(`options to use for ${probe.kind}:`);
    for (const a of advice) io.out(`  ${a.option}: ${a.why}`);
  }
  return 0;
}
