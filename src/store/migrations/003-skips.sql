-- 003: paths left out on purpose because the remote cannot store them (a symlink on a remote without
-- symlinks). Unlike problems they are not failures: a pass with only these still succeeds. A row is
-- written when a path is first left out (the one warning about it) and deleted once the path syncs, or
-- when a whole pass no longer plans it.
--   key      the path key, as in entries
--   message  why, naming the remote's limit
--   first    Date.now() when it was first left out
CREATE TABLE skips (
  key     BLOB NOT NULL PRIMARY KEY,
  message TEXT NOT NULL,
  first   REAL NOT NULL
) STRICT, WITHOUT ROWID;
