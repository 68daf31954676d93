// The root logger: human-readable on stderr, JSON lines in the log file; child loggers per pair and component.
import { pino, type Logger, type Level, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogOptions {
  level: LogLevel;
  /** Also write JSON lines here. */
  file?: string;
  /** Where the human-readable lines go instead of stderr's file descriptor (still colored if stderr is a terminal). */
  stderr?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions): Logger {
  // The streams pass everything; the logger's own level filters, so `lazysync log-level` can raise it later.
  const streams: StreamEntry<Level>[] = [
    {
      level: 'trace',
      stream: pretty({
        destination: opts.stderr ?? 2,
        sync: true,
        colorize: process.stderr.isTTY === true,
        ignore: 'pid,hostname',
        // Messages carry their details for people; the fields are for the JSON log file, except the pair.
        hideObject: true,
        messageFormat: '{if pair}[{pair}] {end}{msg}',
        translateTime: 'SYS:HH:MM:ss.l',
      }),
    },
  ];
  if (opts.file !== undefined) {
    streams.push({
      level: 'trace',
      stream: pino.destination({ dest: opts.file, append: true, sync: true }),
    });
  }
  return pino({ level: opts.level, base: { pid: process.pid } }, pino.multistream(streams));
}

/** A logger that drops everything, for code paths that must stay silent (and for tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
