// A live view (`status --watch`): redraws every second and soon after each relevant event, until Ctrl-C.
import type { LazysyncError } from '../errors.js';
import type { ApiClient, ApiEvent, EventStream } from './client.js';
import type { Io } from './io.js';

export interface LiveView {
  client: ApiClient;
  /** Fetches what is shown; a failure (the daemon went away) ends the view with that error. */
  fetch(): Promise<unknown>;
  /** The block to show for a fetched value. */
  render(value: unknown, now: Date): string[];
  /** Whether an event calls for a redraw now rather than at the next tick. */
  relevant(e: ApiEvent): boolean;
  /** `redraw`: in place on a terminal; `append`: a new block each time, `separator` lines between blocks. */
  mode: 'redraw' | 'append';
  separator: boolean;
  io: Io;
  intervalMs?: number;
  /** Ends the view (exit 0); by default SIGINT or SIGTERM do. */
  stop?: AbortSignal;
}

/** How long after an event the view redraws, so a burst of transfer events costs one fetch. */
const EVENT_DELAY_MS = 100;

/** Runs the view; resolves 0 when stopped, rejects with the error that ended it. */
export function runLive(view: LiveView): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let stream: EventStream | undefined;
    let soon: NodeJS.Timeout | undefined;
    let drawing = false;
    let again = false;
    let finished = false;
    let drawn = 0;

    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      clearTimeout(soon);
      stream?.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      view.stop?.removeEventListener('abort', onSignal);
      if (err === undefined) resolve(0);
      else reject(err);
    };
    const onSignal = (): void => finish();

    const show = (lines: string[]): void => {
      if (view.mode === 'redraw') {
        const clear = drawn === 0 ? '\x1b[2J' : '';
        view.io.write(`${clear}\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`);
      } else {
        if (drawn > 0 && view.separator) view.io.out('');
        for (const l of lines) view.io.out(l);
      }
      drawn++;
    };

    const draw = async (): Promise<void> => {
      if (drawing) {
        again = true;
        return;
      }
      drawing = true;
      try {
        const value = await view.fetch();
        if (!finished) show(view.render(value, new Date()));
      } catch (e) {
        finish(e);
      } finally {
        drawing = false;
      }
      if (again && !finished) {
        again = false;
        void draw();
      }
    };

    const openStream = (): void => {
      stream = view.client.events(
        (e) => {
          if (finished || soon !== undefined || !view.relevant(e)) return;
          soon = setTimeout(() => {
            soon = undefined;
            void draw();
          }, EVENT_DELAY_MS);
        },
        (_err?: LazysyncError) => {
          // The stream broke: the next tick's fetch tells whether the daemon is gone; reopen it if not.
          stream = undefined;
        },
      );
    };

    const tick = setInterval(() => {
      if (stream === undefined) openStream();
      void draw();
    }, view.intervalMs ?? 1000);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (view.stop?.aborted === true) return finish();
    view.stop?.addEventListener('abort', onSignal);
    openStream();
    void draw();
  });
}
