-- PostgreSQL twin of migrations/0018_feed_stamp.sql (same table; ids that point at a
-- row are BIGINT, as in the other twins).
--
-- When each calendar feed last changed, for its Last-Modified header.
--
-- feed_stamp: one row per feed that has been served: the coalition's (`feed` =
-- 'coalition') or a person's own (`feed` = 'person N'). `etag` is the hash of the bytes
-- last served, `modified_at` when those bytes were first served. A request that makes
-- other bytes (a meeting moved, a date that aged out, another base_url) records a new
-- etag and a later time; the same bytes keep the row as it is. Kept in the database,
-- not in a process: every process on the file, and the same one after a restart, gives
-- the same Last-Modified for the same feed.
CREATE TABLE feed_stamp (
    coalition_id  BIGINT NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    feed          TEXT NOT NULL,
    etag          TEXT NOT NULL,
    modified_at   TEXT NOT NULL,
    PRIMARY KEY (coalition_id, feed)
);
