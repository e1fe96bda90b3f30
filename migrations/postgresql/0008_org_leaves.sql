-- PostgreSQL twin of ../0008_org_leaves.sql: the same schema in PostgreSQL's words.
-- A partner organization that leaves the coalition keeps its row (its number, and the
-- decisions it took part in, stay readable) but no longer counts: no vote, no place in
-- any electorate or quorum, no representatives. Adding it again brings it back.

ALTER TABLE org ADD COLUMN left_at TEXT;
