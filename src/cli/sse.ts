// Reads the daemon's event stream (`text/event-stream`) into JSON payloads, pure and bounded.

/** A line longer than this (no newline in sight) is dropped: events are small, memory must stay bounded. */
const MAX_LINE = 1 << 20;

/**
 * Feeds text chunks in any split; calls `onData` with each `data:` line's value. docs/api.md promises one
 * `data: {JSON}` line per event, so each data line is dispatched as it ends, whether or not a blank line
 * follows (the standard framing has one; JSON never contains a newline). Comments (`:`), other fields
 * and blank lines are ignored; `\r\n` line ends are accepted.
 */
export class SseParser {
  private buf = '';
  private dropping = false;

  constructor(private readonly onData: (data: string) => void) {}

  feed(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (this.dropping) this.dropping = false;
      else this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      this.dropping = true;
    }
  }

  private line(line: string): void {
    if (!line.startsWith('data:')) return;
    const value = line.slice(5);
    this.onData(value.startsWith(' ') ? value.slice(1) : value);
  }
}
