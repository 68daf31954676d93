// `lazysync service install [--print]`: a systemd user unit that runs `lazysync daemon`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { subcommand, type SetCode } from '../command.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  const service = subcommand(program, 'service', 'the systemd user unit');
  subcommand(service, 'install', 'write the systemd user unit for `lazysync daemon` and say how to enable it')
    .option('--print', 'only print the unit, write nothing')
    .action((opts: ServiceOptions) => setCode(serviceInstallCommand(opts)));
}

export const ENABLE_HINT = 'systemctl --user daemon-reload && systemctl --user enable --now lazysync';

/** One ExecStart word: `%` and `$` escaped for systemd, quoted when it holds anything but plain characters. */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The unit's text for `node` running the script `bin`. */
export function unitText(node: string, bin: string): string {
  return [
    '[Unit]',
    'Description=lazysync: two-way lazy sync of mounted network folders',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[node, bin, 'daemon'].map(systemdWord).join(' ')}`,
    'Restart=on-failure',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** `$XDG_CONFIG_HOME/systemd/user/lazysync.service`, else under `~/.config` (a relative XDG value is ignored). */
export function unitPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(base, 'systemd', 'user', 'lazysync.service');
}

/** This package's `bin/lazysync.js` (from dist/src/cli/commands/ four levels up). */
export function binPath(): string {
  return fileURLToPath(new URL('../../../../bin/lazysync.js', import.meta.url));
}

export interface ServiceOptions {
  print?: boolean;
}

/** Writes the unit (atomically; unchanged if it is already the same) and says how to enable it. */
export function serviceInstallCommand(
  opts: ServiceOptions,
  io: Io = stdio,
  target = unitPath(),
  bin = binPath(),
): number {
  const text = unitText(process.execPath, bin);
  if (opts.print === true) {
    io.write(text);
    return 0;
  }
  let old: string | undefined;
  try {
    old = fs.readFileSync(target, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === text) {
    io.out(`${target} is already installed and up to date`);
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, target);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    io.out(`${old === undefined ? 'wrote' : 'updated'} ${target}`);
  }
  io.out(`enable and start it with: ${ENABLE_HINT}`);
  return 0;
}
