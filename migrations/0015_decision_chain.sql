-- The tamper-evident decision log: a hash chain per coalition (services/decision_log.py).
--
-- log_entry: one row per entry, `seq` 1, 2, 3 ... per coalition. `body` is the entry's
-- canonical JSON, `hash` = sha256(prev_hash + "\n" + body), `prev_hash` the hash of the
-- entry before (64 zeros for the first). A `decision` entry points at its decision row;
-- the verifier rebuilds its body from that row and the poll's votes, so a changed
-- decision or vote breaks it. Other kinds (organization added, coordinator added or
-- removed, poll withdrawn, written outcome) are their own record.
--
-- A row whose hash is NULL is waiting to be chained. This migration adds one such row
-- per decision recorded before it, in number order: the bot chains them, before
-- anything else, the next time the log is verified or extended. The bot writes
-- decisions with their row, so a decision row with no log_entry was added by hand.
CREATE TABLE log_entry (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    seq           INTEGER,
    kind          TEXT NOT NULL,
    decision_id   INTEGER REFERENCES decision(id),
    body          TEXT,
    prev_hash     TEXT,
    hash          TEXT,
    recorded_at   TEXT NOT NULL,
    UNIQUE (coalition_id, seq)
);
CREATE INDEX log_entry_decision ON log_entry(decision_id);

INSERT INTO log_entry (coalition_id, kind, decision_id, recorded_at)
SELECT coalition_id, 'decision', id, decided_at FROM decision ORDER BY coalition_id, number;
