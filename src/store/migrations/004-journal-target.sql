-- 004: where a journalled move goes. A move is journalled at its source path (key) with the side it
-- renames on; after a crash between the rename and the archive's update, the next start sees the rename
-- made (the source gone, the target there) and moves the archive's records along.
--   target  the path key the move renames to; NULL for every other action
ALTER TABLE journal ADD COLUMN target BLOB;
