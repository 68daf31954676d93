-- 005: the ledger of the versions this pair made, on both sides. Pruning removes only what is recorded
-- here (and still looks as recorded), so a shared remote folder's versions made by other pairs, and
-- anything else in the versions folders, are never touched. A version whose row was lost in a crash is
-- simply kept.
--   side   the root it is in
--   key    the path it is a version of (a path key, as in entries)
--   file   the version's path relative to the root (bytes): .lazysync/versions/DIR/NAME~STAMP[-n].EXT
--   made   Date.now() when it was made, to the millisecond (the name has the second)
--   kind   'file' | 'dir' | 'symlink'
--   size   bytes (of every file in it, for a folder)
--   mtime  the content's mtime (lstat mtimeMs) when it was kept
CREATE TABLE versions (
  id    INTEGER NOT NULL PRIMARY KEY,
  side  TEXT    NOT NULL CHECK (side IN ('local', 'remote')),
  key   BLOB    NOT NULL,
  file  BLOB    NOT NULL,
  made  REAL    NOT NULL,
  kind  TEXT    NOT NULL CHECK (kind IN ('file', 'dir', 'symlink')),
  size  INTEGER NOT NULL,
  mtime REAL    NOT NULL
) STRICT;

CREATE INDEX versions_by_path ON versions (side, key, made);
CREATE INDEX versions_by_age ON versions (side, made);
