// One scenario's sections written into docs/benchmarks.md without touching the rest of the page: between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, replacing what an earlier run of that scenario wrote
// there, or, the first time, before the analysis (at the end if there is none).

const open = (name: string): string => `<!-- bench:${name} -->`;
const close = (name: string): string => `<!-- /bench:${name} -->`;

/** `doc` with scenario `name`'s block set to `body` (markdown, without the markers). */
export function spliceScenario(doc: string, name: string, body: string): string {
  const block = `${open(name)}\n${body.trimEnd()}\n${close(name)}\n`;
  const start = doc.indexOf(open(name));
  const end = doc.indexOf(close(name));
  if (start >= 0 && end > start) {
    const after = doc.indexOf('\n', end);
    return doc.slice(0, start) + block + (after < 0 ? '' : doc.slice(after + 1));
  }
  const analysis = /^## Analysis/m.exec(doc);
  if (analysis === null) return `${doc.trimEnd()}\n\n${block}`;
  return `${doc.slice(0, analysis.index)}${block}\n${doc.slice(analysis.index)}`;
}
