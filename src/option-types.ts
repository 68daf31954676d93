// Kinds of option values (a yes/no, a number in a range, a size, one of a few words, a text, a path): how
// each is written as a command-line argument, how the config file and the control API hold it, and how it
// is checked in both places, with one set of rules.
import path from 'node:path';
import type { z } from 'zod';
import { formatDuration, parseDuration } from './core/duration.js';
import { parseSize } from './core/size.js';

/**
 * How the values of one kind are written and checked: as a command-line argument (text), and as the config
 * file and the control API hold them (`Stored`: TOML or JSON values).
 */
export interface ValueType<T, Stored = T> {
  /** What a flag takes, for `--max-size takes a size like 512, 64K, 10M or 2G, not '10X'`. */
  takes: string;
  /** The value an argument stands for; undefined when it stands for none. */
  fromArg(arg: string): T | undefined;
  /** Why a value is out of range (`must be between 0 and 100`); undefined when it is in range. */
  outOfRange?(value: T): string | undefined;
  /**
   * The stored form's schema, range included, with messages that read after `KEY: `. zod is handed in so
   * that the commands that never read stored values do not load it.
   */
  stored(zod: typeof z): z.ZodType<Stored>;
  /** The value of a stored form the schema accepted. */
  fromStored(stored: Stored): T;
  /** The stored form of an argument `fromArg` accepted. */
  storedFromArg(arg: string, value: T): Stored;
  /** The argument that stands for `value`, to show a default in `--help`. */
  toArg(value: T): string;
  /** All the values there are, for a type that has few. */
  choices?: readonly string[];
}

const same = <T>(v: T): T => v;

export const text: ValueType<string> = {
  takes: 'a text',
  fromArg: same,
  stored: (zod) => zod.string(),
  fromStored: same,
  storedFromArg: (_arg, v) => v,
  toArg: same,
};

/** A folder or file, made absolute against the working directory. */
export const filePath: ValueType<string> = {
  ...text,
  fromArg: (arg) => path.resolve(arg),
  fromStored: path.resolve,
};

export const yesNo: ValueType<boolean> = {
  takes: 'y or n',
  fromArg(arg) {
    const v = arg.toLowerCase();
    if (v === 'y' || v === 'yes') return true;
    if (v === 'n' || v === 'no') return false;
    return undefined;
  },
  stored: (zod) => zod.boolean(),
  fromStored: same,
  storedFromArg: (_arg, v) => v,
  toArg: (v) => (v ? 'y' : 'n'),
};

export function numberBetween(min: number, max: number): ValueType<number> {
  const range = `must be between ${min} and ${max}`;
  const inRange = (n: number): boolean => n >= min && n <= max;
  return {
    takes: 'a number',
    fromArg(arg) {
      const n = Number(arg);
      return arg.trim() === '' || !Number.isFinite(n) ? undefined : n;
    },
    outOfRange: (n) => (inRange(n) ? undefined : range),
    stored: (zod) => zod.number().refine(inRange, { error: range }),
    fromStored: same,
    storedFromArg: (_arg, v) => v,
    toArg: String,
  };
}

/** A whole number in a range. */
export function wholeBetween(min: number, max: number): ValueType<number> {
  const range = `must be a whole number between ${min} and ${max}`;
  const inRange = (n: number): boolean => Number.isSafeInteger(n) && n >= min && n <= max;
  return {
    ...numberBetween(min, max),
    takes: 'a whole number',
    outOfRange: (n) => (inRange(n) ? undefined : range),
    stored: (zod) => zod.number().refine(inRange, { error: range }),
  };
}

/** A span of time in milliseconds, written like 90m, 12h, 30d or 2w; stored as such a text. */
export const duration: ValueType<number, string> = {
  takes: 'a time like 90m, 12h, 30d or 2w',
  fromArg: parseDuration,
  stored: (zod) =>
    zod
      .string()
      .refine((v) => parseDuration(v) !== undefined, { error: 'expected a time like "30d" or "12h"' }),
  fromStored: (v) => parseDuration(v) as number, // the schema accepted it
  storedFromArg: (arg) => arg.trim(),
  toArg: formatDuration,
};

/** Bytes, written like 512, 64K, 10M or 2G; stored as such a text (kept as the user wrote it) or as bytes. */
export const size: ValueType<number, string | number> = {
  takes: 'a size like 512, 64K, 10M or 2G',
  fromArg: parseSize,
  stored: (zod) =>
    zod.custom<string | number>(
      (v) =>
        (typeof v === 'string' && parseSize(v) !== undefined) ||
        (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0),
      { error: 'expected a size like "512", "64K", "10M" or "2G"' },
    ),
  // The schema accepted the text, so it is a size.
  fromStored: (v) => (typeof v === 'number' ? v : (parseSize(v) as number)),
  storedFromArg: (arg) => arg.trim(),
  toArg: String,
};

export function oneOf<const V extends readonly [string, ...string[]]>(values: V): ValueType<V[number]> {
  const known = values as readonly string[];
  return {
    choices: values,
    takes: values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`,
    fromArg: (arg) => (known.includes(arg) ? (arg as V[number]) : undefined),
    stored: (zod) => zod.enum(values),
    fromStored: same,
    storedFromArg: (_arg, v) => v,
    toArg: same,
  };
}
