// The flags of the commands that take a pair's options (`sync`, `run`, the program itself as `run`, `add`),
// made from the table of options.
import { Option, type Command } from 'commander';
import { OPTION_LIST, PAIR_OPTIONS, type AnyOption, type OptionKey } from '../pair-options.js';
import type { ValueType } from '../option-types.js';

export type PairCommand = 'sync' | 'run' | 'add';

/** `add` takes the folders and what is saved with a pair; `sync`, everything but what only a loop uses. */
function takes(command: PairCommand, o: AnyOption): boolean {
  if (command === 'add') return o.role !== 'this-run';
  if (command === 'sync') return !('loopOnly' in o);
  return true;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** commander's option for one entry of the table; with `withDefault`, its default is filled in and shown. */
export function pairFlag(key: OptionKey, withDefault = true): Option {
  const o: AnyOption = PAIR_OPTIONS[key];
  const short = 'short' in o ? `${o.short}, ` : '';
  const option = new Option(`${short}${o.flag}${'arg' in o ? ` ${o.arg}` : ''}`, o.help);
  if (!('arg' in o)) return option;
  if ('repeatable' in o) return option.argParser(collect);
  const type = o.type as ValueType<unknown>;
  if ('listChoices' in o && type.choices !== undefined) option.choices(type.choices);
  if (withDefault && 'default' in o) option.default(type.toArg(o.default));
  return option;
}

/**
 * Adds the pair options `command` takes, in the table's order: `folders` only the two folders, `options`
 * only the rest. `add` shows no defaults: what it is not given is left to the daemon.
 */
export function addPairFlags(
  cmd: Command,
  command: PairCommand,
  part: 'all' | 'folders' | 'options' = 'all',
): Command {
  for (const [key, o] of OPTION_LIST) {
    if (!takes(command, o)) continue;
    if (part !== 'all' && (o.role === 'folder') !== (part === 'folders')) continue;
    cmd.addOption(pairFlag(key, command !== 'add'));
  }
  return cmd;
}
