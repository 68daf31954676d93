-- 002: when each local copy was last opened, for --cache-max: the least recently opened clean copies
-- are turned back into placeholders first. A copy without a row counts as opened at time 0 (oldest).
--   key        the path key, as in entries
--   last_open  Date.now() of the latest open seen (kernel events on L), or of its hydration
CREATE TABLE access (
  key       BLOB NOT NULL PRIMARY KEY,
  last_open REAL NOT NULL
) STRICT, WITHOUT ROWID;
