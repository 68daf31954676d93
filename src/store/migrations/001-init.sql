-- 001: the first schema of a pair's state database (L/.lazysync/state.db).
--
-- Paths are bytes. Every path column is a BLOB key: the path's bytes with '/' replaced by NUL (toKey in
-- src/core/paths.ts). No name contains NUL, and NUL sorts below every other byte, so SQLite's memcmp order
-- of these keys is exactly comparePaths order: depth-first, a directory right before its contents. That
-- is what lets the engine read the archive in pages alongside both scans.
--
-- Tables are STRICT so that a wrong type is an error at write time instead of a surprise at read time.
-- The runner (src/store/migrate.ts) applies this file and sets user_version = 1 in one transaction.

-- The archive: each path as last synced, on both sides. The common ancestor of reconciliation.
-- l_* is the local side, r_* the remote side; each is one Entry (src/core/types.ts):
--   kind    'file' | 'dir' | 'symlink' | 'placeholder' (placeholder only happens locally)
--   size    bytes for files, 0 otherwise
--   mtime   lstat mtimeMs, fractional milliseconds; REAL is an IEEE double, so it round-trips exactly
--   mode    permission bits (mode & 0o7777)
--   ino     local inode number; 0 on the remote
--   target  link text (bytes) of a symlink or placeholder; NULL when the entry has none
CREATE TABLE entries (
  key      BLOB    NOT NULL PRIMARY KEY,
  l_kind   TEXT    NOT NULL CHECK (l_kind IN ('file', 'dir', 'symlink', 'placeholder')),
  l_size   INTEGER NOT NULL,
  l_mtime  REAL    NOT NULL,
  l_mode   INTEGER NOT NULL,
  l_ino    INTEGER NOT NULL,
  l_target BLOB,
  r_kind   TEXT    NOT NULL CHECK (r_kind IN ('file', 'dir', 'symlink', 'placeholder')),
  r_size   INTEGER NOT NULL,
  r_mtime  REAL    NOT NULL,
  r_mode   INTEGER NOT NULL,
  r_ino    INTEGER NOT NULL,
  r_target BLOB
) STRICT, WITHOUT ROWID;

-- Facts about the pair. 'app' = 'lazysync' marks the file as ours: a database with tables and without
-- it is refused. The engine adds its own keys (its META constant): the remote root, the
-- pair id, whether the remote was a mount point at the first sync, whether the first sync is done.
CREATE TABLE meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('app', 'lazysync');

-- Actions in flight. A row is written before an action touches a root and deleted once the archive
-- records its result, so after a crash the rows left say what to finish or roll back.
--   op       the Action op ('download', 'upload', ...)
--   side     'local' | 'remote' | NULL: the side being changed, when the op alone does not say
--   temp     the temporary file's path (bytes) once one exists, so the next start can remove it
--   started  Date.now() when the action began
CREATE TABLE journal (
  id      INTEGER NOT NULL PRIMARY KEY,
  key     BLOB    NOT NULL,
  op      TEXT    NOT NULL,
  side    TEXT    CHECK (side IN ('local', 'remote')),
  temp    BLOB,
  started REAL    NOT NULL
) STRICT;

-- Per-path failures of recent passes, retried at the next pass and shown in the status.
--   count   how many passes in a row failed on this path; first/last: Date.now() of the first and latest
CREATE TABLE problems (
  key     BLOB    NOT NULL PRIMARY KEY,
  message TEXT    NOT NULL,
  count   INTEGER NOT NULL,
  first   REAL    NOT NULL,
  last    REAL    NOT NULL
) STRICT, WITHOUT ROWID;

-- The plan of the current pass, spooled to disk so that a huge plan is never held in memory.
--   action  one Action as JSON (binary strings are chars 0..255, which JSON and UTF-8 carry unchanged)
CREATE TABLE plan (
  seq    INTEGER NOT NULL PRIMARY KEY,
  action TEXT    NOT NULL
) STRICT;
