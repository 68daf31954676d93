// Names of versions (NAME~STAMP.EXT) and conflict copies (NAME.conflict-STAMP.EXT); the time is passed in.

/** The longest name (in bytes) Linux filesystems accept. */
export const NAME_MAX = 255;

/** `YYYYMMDD-HHMMSS`, the stamp every version and conflict name carries. */
const STAMP = String.raw`\d{8}-\d{6}`;

/**
 * Splits a name (a binary string) at its last '.', unless that dot is the first character:
 * `a.tar.gz` -> [`a.tar`, `.gz`], `.bashrc` -> [`.bashrc`, ``], `README` -> [`README`, ``].
 */
export function splitExt(name: string): [base: string, ext: string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/** `BASE~STAMP[-n]EXT`: where an old content is kept in `ROOT/.lazysync/versions/DIR/`. */
export function versionName(name: string, stamp: string, n = 0): string {
  return decorate(name, `~${stamp}${counter(n)}`);
}

/** `BASE.conflict-STAMP[-n]EXT`: the name the older side of a conflict is renamed to. */
export function conflictName(name: string, stamp: string, n = 0): string {
  return decorate(name, `.conflict-${stamp}${counter(n)}`);
}

const versionPattern = new RegExp(String.raw`^([\s\S]+)~(${STAMP})(?:-(\d+))?((?:\.[^.]*)?)$`);
const conflictPattern = new RegExp(String.raw`^([\s\S]+)\.conflict-(${STAMP})(?:-(\d+))?((?:\.[^.]*)?)$`);

/** The name a version was made from (BASE possibly truncated), its stamp and its counter (0 if none). */
export function parseVersionName(name: string): { original: string; stamp: string; n: number } | undefined {
  return parse(versionPattern, name);
}

/** The same for a conflict copy's name. */
export function parseConflictName(name: string): { original: string; stamp: string; n: number } | undefined {
  return parse(conflictPattern, name);
}

export function isConflictName(name: string): boolean {
  return conflictPattern.test(name);
}

function counter(n: number): string {
  return n > 0 ? `-${n}` : '';
}

function parse(re: RegExp, name: string): { original: string; stamp: string; n: number } | undefined {
  const m = re.exec(name);
  if (m === null) return undefined;
  const [, base = '', stamp = '', n, ext = ''] = m;
  return { original: base + ext, stamp, n: n === undefined ? 0 : Number(n) };
}

/**
 * BASE + suffix + EXT, cut to NAME_MAX bytes by shortening BASE. An extension too long to leave room for
 * any of BASE is not treated as one: the whole name is the base then.
 */
function decorate(name: string, suffix: string): string {
  let [base, ext] = splitExt(name);
  if (suffix.length + ext.length >= NAME_MAX) {
    base = name;
    ext = '';
  }
  const room = NAME_MAX - suffix.length - ext.length;
  return truncateUtf8(base, room) + suffix + ext;
}

/**
 * The longest prefix of the binary string `s` of at most `max` bytes that does not end inside a UTF-8
 * multibyte sequence. Bytes that are not UTF-8 are cut anywhere.
 */
export function truncateUtf8(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  const isContinuation = (i: number): boolean => (s.charCodeAt(i) & 0xc0) === 0x80;
  // s[max] is the first byte cut off; if it continues a sequence, find where that sequence starts.
  if (!isContinuation(max)) return s.slice(0, max);
  let lead = max - 1;
  while (lead > max - 4 && lead > 0 && isContinuation(lead)) lead--;
  const straddles = !isContinuation(lead) && lead + sequenceLength(s.charCodeAt(lead)) > max;
  return s.slice(0, straddles ? lead : max);
}

/** How many bytes a UTF-8 sequence starting with byte `c` has (1 for ASCII and for bytes that start none). */
function sequenceLength(c: number): number {
  if (c >= 0xc2 && c < 0xe0) return 2;
  if (c >= 0xe0 && c < 0xf0) return 3;
  if (c >= 0xf0 && c < 0xf5) return 4;
  return 1;
}
