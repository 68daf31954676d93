// Which programs may not fetch a file placeholder (--no-fetch-by): desktop indexers and thumbnail makers
// open every file they find, and one of them would otherwise pull a whole remote tree down. Their access
// is refused; the placeholder stays. docs/design.md, "File placeholders".

/** Indexers and thumbnailers of the common Linux desktops, by executable name. */
export const DEFAULT_NO_FETCH: readonly string[] = [
  'tracker-miner-fs',
  'tracker-miner-fs-3',
  'tracker-extract',
  'tracker-extract-3',
  'localsearch-3',
  'localsearch-extractor-3',
  'baloo_file',
  'baloo_file_extractor',
  'tumblerd',
  'ffmpegthumbnailer',
  'totem-video-thumbnailer',
  'evince-thumbnailer',
  'gdk-pixbuf-thumbnailer',
  'gnome-thumbnail-factory',
  'gnome-desktop-thumbnailer',
];

/** The word that turns the default list off. */
export const NO_FETCH_NONE = 'none';

/** The rules in force: the user's list, or the default one when it is empty; 'none' alone means none. */
export function noFetchRules(given: readonly string[]): readonly string[] {
  if (given.length === 0) return DEFAULT_NO_FETCH;
  return given.filter((r) => r !== NO_FETCH_NONE);
}

/** The kernel keeps only this much of a program's name in /proc/PID/comm. */
const COMM_LENGTH = 15;

/**
 * The rule that refuses the program with executable `exe` and name `comm`, or undefined. A rule with a
 * '/' is a path: that executable, or (ending in '/') any below that folder. Any other rule is a name:
 * the executable's file name, or the process's name as the kernel shortens it.
 */
export function refusedBy(
  rules: readonly string[],
  exe: string | null,
  comm: string | null,
): string | undefined {
  return rules.find((rule) => {
    if (rule.includes('/')) {
      return exe !== null && (rule.endsWith('/') ? exe.startsWith(rule) : exe === rule);
    }
    if (exe !== null && exe.slice(exe.lastIndexOf('/') + 1) === rule) return true;
    return comm !== null && comm === rule.slice(0, COMM_LENGTH);
  });
}
