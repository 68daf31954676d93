// Compares two V8 heap snapshots (written by the soak's probe, or by any `v8.writeHeapSnapshot()`):
// objects counted by kind and constructor name, with their shallow sizes, and what changed between the
// early and the late one. A leak shows as a kind whose count keeps growing with the run's length.
//   node dist/bench/soak/heapdiff.js EARLY.heapsnapshot LATE.heapsnapshot [--top N]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

export interface Tally {
  count: number;
  bytes: number;
}

/** Objects of each `type:name` (e.g. `object:Map`, `closure:onData`, `string`) with their shallow size. */
export function tallyHeap(snap: Snapshot): Map<string, Tally> {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, Tally>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType] as number] ?? '?';
    // Strings and code are grouped by type only: their names are their contents.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden';
    const key = named ? `${type}:${snap.strings[snap.nodes[i + iName] as number] ?? '?'}` : type;
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += snap.nodes[i + iSize] as number;
    out.set(key, t);
  }
  return out;
}

export interface HeapDiffRow {
  key: string;
  early: Tally;
  late: Tally;
}

export function diffTallies(early: Map<string, Tally>, late: Map<string, Tally>): HeapDiffRow[] {
  const zero = { count: 0, bytes: 0 };
  const rows: HeapDiffRow[] = [];
  for (const key of new Set([...early.keys(), ...late.keys()])) {
    rows.push({ key, early: early.get(key) ?? zero, late: late.get(key) ?? zero });
  }
  return rows.sort((a, b) => Math.abs(b.late.bytes - b.early.bytes) - Math.abs(a.late.bytes - a.early.bytes));
}

const totals = (m: Map<string, Tally>): Tally =>
  [...m.values()].reduce((a, t) => ({ count: a.count + t.count, bytes: a.bytes + t.bytes }), {
    count: 0,
    bytes: 0,
  });

function main(): void {
  const args = process.argv.slice(2);
  const topArg = args.indexOf('--top');
  const top = topArg >= 0 ? Number(args[topArg + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith('--') && (topArg < 0 || i !== topArg + 1));
  if (files.length !== 2) {
    console.error('usage: node dist/bench/soak/heapdiff.js EARLY.heapsnapshot LATE.heapsnapshot [--top N]');
    process.exitCode = 2;
    return;
  }
  const [early, late] = files.map((f) => tallyHeap(JSON.parse(readFileSync(f, 'utf8')) as Snapshot));
  const a = totals(early as Map<string, Tally>);
  const b = totals(late as Map<string, Tally>);
  const kib = (n: number) => (n / 1024).toFixed(1);
  console.log(
    `total: ${a.count} objects ${kib(a.bytes)} KiB -> ${b.count} objects ${kib(b.bytes)} KiB (${b.bytes >= a.bytes ? '+' : ''}${kib(b.bytes - a.bytes)} KiB)`,
  );
  console.log('count early -> late (delta)   KiB early -> late (delta)   kind');
  for (const r of diffTallies(early as Map<string, Tally>, late as Map<string, Tally>).slice(0, top)) {
    const dc = r.late.count - r.early.count;
    const db = r.late.bytes - r.early.bytes;
    console.log(
      `${r.early.count} -> ${r.late.count} (${dc >= 0 ? '+' : ''}${dc})   ${kib(r.early.bytes)} -> ${kib(r.late.bytes)} (${db >= 0 ? '+' : ''}${kib(db)})   ${r.key}`,
    );
  }
}

main();
