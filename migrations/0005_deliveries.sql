-- Every scheduled delivery (meeting reminder, poll closing soon, poll result, action
-- item due) gets one row per place it goes to, keyed by what it is and when it is due
-- (an occurrence moved after its reminder went out is reminded again), created 'pending'
-- when it comes due. It is claimed ('sending') in a transaction before anything is
-- sent, then marked 'sent'; a failed send goes back to 'pending' with a later
-- next_try_at. See ARCHITECTURE.md, "Scheduler", for what happens after a crash.

CREATE TABLE delivery (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,            -- meeting-reminder, poll-closing, poll-result, action-due
    subject_id    INTEGER NOT NULL,         -- meeting, poll or note id
    occurrence    TEXT NOT NULL DEFAULT '', -- meeting occurrence key
    offset_min    INTEGER NOT NULL DEFAULT 0,
    platform      TEXT NOT NULL,            -- where it goes
    target        TEXT NOT NULL,            -- a channel id, or 'user:ID' for a private one
    due_at        TEXT NOT NULL,
    expires_at    TEXT NOT NULL,            -- after this, a failed delivery is given up
    status        TEXT NOT NULL CHECK (status IN
                  ('pending', 'sending', 'sent', 'skipped', 'expired', 'dropped')),
    late          INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    claimed_at    TEXT,
    sent_at       TEXT,
    UNIQUE (kind, subject_id, occurrence, offset_min, platform, due_at)
);
CREATE INDEX delivery_pending ON delivery(status, next_try_at);

-- Up to when the scheduler has looked, so a restart knows what came due while it was down.
CREATE TABLE scheduler_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    swept_to   TEXT NOT NULL
);
