// How long a mount may show a folder's listing as it was (pure), read from what the probe saw of the mount:
// the FUSE program's command line (sshfs, rclone), the mount's options (NFS, SMB) or davfs2's configuration
// files, else the program's default.
import type { RemoteKind } from './probe.js';

/** The `-o` options of a FUSE command line (`-o a,b` and `-oa,b`), in order. */
function fuseOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === '-o') out.push(...(argv[i + 1] ?? '').split(','));
    else if (a.startsWith('-o')) out.push(...a.slice(2).split(','));
  });
  return out;
}

/** The value of the last `NAME=VALUE` among `options`, if any. */
function optionValue(options: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  for (const o of options) if (o.startsWith(`${name}=`)) v = o.slice(name.length + 1);
  return v;
}

/** A Go duration as rclone takes it (`5m`, `2s`, `1h30m`, `300ms`, or bare seconds), in seconds. */
export function parseGoDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/.exec(rest);
    if (m === null) return undefined;
    total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The value after `--NAME` or `--NAME=` on a command line. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${name}`) v = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
  });
  return v;
}

/** An rclone duration flag's value in seconds, or rclone's default for it. */
function rcloneDuration(
  argv: readonly string[] | undefined,
  name: string,
  defaultS: number,
  defaultText: string,
): { seconds: number; how: string } {
  const v = argv === undefined ? undefined : flagValue(argv, name);
  const s = v === undefined ? undefined : parseGoDuration(v);
  return s !== undefined
    ? { seconds: s, how: `--${name} ${v ?? ''}` }
    : { seconds: defaultS, how: `--${name} ${defaultText} (default)` };
}

/**
 * davfs2's `dir_refresh` for the mount at `mountPoint`: the last one set, in the files' order, outside any
 * section or in the section named after the mount point (davfs2.conf(5)); undefined if none is set.
 */
export function davfsDirRefresh(
  files: readonly { file: string; text: string }[],
  mountPoint: string,
): { seconds: number; how: string } | undefined {
  let found: { seconds: number; how: string } | undefined;
  for (const { file, text } of files) {
    let applies = true;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const section = /^\[(.*)\]$/.exec(line);
      if (section !== null) {
        applies = section[1]?.trim().replaceAll('\\ ', ' ') === mountPoint;
        continue;
      }
      const m = /^dir_refresh\s+(\d+)$/.exec(line);
      if (applies && m !== null) found = { seconds: Number(m[1]), how: `dir_refresh ${m[1]} in ${file}` };
    }
  }
  return found;
}

/**
 * How long the mount may show a folder's listing as it was, and how that was found: from the FUSE
 * program's command line (sshfs, rclone), the mount's options (NFS, SMB), or the program's default.
 */
export function listingCacheOf(
  kind: RemoteKind,
  argv: readonly string[] | undefined,
  superOptions: string,
  davfsConfig?: readonly { file: string; text: string }[],
  mountPoint?: string,
): { seconds: number | null; how: string } {
  const sup = superOptions.split(',');
  switch (kind) {
    case 'sshfs': {
      if (argv === undefined)
        return { seconds: 20, how: "sshfs's default (its command line could not be read)" };
      const o = fuseOptions(argv);
      if (o.includes('cache=no') || o.includes('dir_cache=no')) return { seconds: 0, how: 'cache=no' };
      for (const name of ['dcache_dir_timeout', 'dcache_timeout', 'cache_dir_timeout', 'cache_timeout']) {
        const v = optionValue(o, name);
        if (v !== undefined && /^\d+$/.test(v)) return { seconds: Number(v), how: `${name}=${v}` };
      }
      return { seconds: 20, how: "sshfs's default" };
    }
    case 'rclone': {
      // A lookup is answered from the kernel's entry cache (--attr-timeout), then from rclone's listing.
      const dir = rcloneDuration(argv, 'dir-cache-time', 300, '5m');
      const attr = rcloneDuration(argv, 'attr-timeout', 1, '1s');
      const unread = argv === undefined ? ' (its command line could not be read)' : '';
      return { seconds: dir.seconds + attr.seconds, how: `${dir.how} + ${attr.how}${unread}` };
    }
    case 'nfs': {
      if (sup.includes('noac')) return { seconds: 0, how: 'noac' };
      const v = optionValue(sup, 'acdirmax') ?? optionValue(sup, 'actimeo');
      return v !== undefined
        ? { seconds: Number(v), how: `acdirmax=${v}` }
        : { seconds: 60, how: "NFS's default" };
    }
    case 'cifs': {
      const v = optionValue(sup, 'actimeo');
      return v !== undefined
        ? { seconds: Number(v), how: `actimeo=${v}` }
        : { seconds: 1, how: "cifs's default" };
    }
    case 'davfs2': {
      const found = davfsDirRefresh(davfsConfig ?? [], mountPoint ?? '');
      return found ?? { seconds: 60, how: "davfs2's default dir_refresh (none set in its configuration)" };
    }
    case 'local-disk':
      return { seconds: 0, how: 'a local filesystem' };
    default:
      return { seconds: null, how: 'unknown for this kind of mount' };
  }
}
