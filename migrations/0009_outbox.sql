-- The outbox for every notice (see ARCHITECTURE.md, "Deliveries").
--
-- 1. A notice raised by a command is a `notice` row (its rendered content, as JSON) plus
--    one `delivery` row per home channel, written in the command's own transaction.
-- 2. The target is part of a delivery's key: a coalition with two Slack workspaces gets a
--    row for each home channel (before, the second was dropped by the unique key), and
--    `workspace_id` says which workspace the channel is in.
-- 3. A claim has an owner (a process) and a lease the owner extends while a send is slow;
--    another process takes a 'sending' row back only once its lease has run out.
-- 4. 'failed': the platform refused for good (channel gone, bot not invited, token
--    revoked); `last_error` holds its reason and `hint` what a coordinator can do.
-- SQLite cannot change a table's constraints, so the table is rebuilt.

CREATE TABLE notice (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    body          TEXT NOT NULL,            -- the Notice as JSON
    created_at    TEXT NOT NULL
);

ALTER TABLE delivery RENAME TO delivery_old;

CREATE TABLE delivery (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,  -- meeting-reminder, poll-closing, poll-result, action-due, notice
    subject_id    INTEGER NOT NULL,         -- meeting, poll, note or notice id
    occurrence    TEXT NOT NULL DEFAULT '', -- meeting occurrence key
    offset_min    INTEGER NOT NULL DEFAULT 0,
    platform      TEXT NOT NULL,            -- where it goes
    workspace_id  TEXT NOT NULL DEFAULT '', -- the workspace of the channel (or person)
    target        TEXT NOT NULL,            -- a channel id, or 'user:ID' for a private one
    due_at        TEXT NOT NULL,
    expires_at    TEXT NOT NULL,            -- after this, an unsent delivery is given up
    status        TEXT NOT NULL CHECK (status IN
                  ('pending', 'sending', 'sent', 'skipped', 'expired', 'dropped', 'failed')),
    late          INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   TEXT,
    last_error    TEXT,
    hint          TEXT,                     -- for 'failed': what a coordinator can do
    owner         TEXT,                     -- the process holding the claim
    lease_until   TEXT,                     -- its claim lasts until then unless extended
    created_at    TEXT NOT NULL,
    claimed_at    TEXT,
    sent_at       TEXT,
    UNIQUE (kind, subject_id, occurrence, offset_min, platform, workspace_id, target, due_at)
);

INSERT INTO delivery (id, coalition_id, kind, subject_id, occurrence, offset_min, platform,
                          target, due_at, expires_at, status, late, attempts, next_try_at,
                          last_error, created_at, claimed_at, sent_at)
SELECT id, coalition_id, kind, subject_id, occurrence, offset_min, platform, target, due_at,
       expires_at, status, late, attempts, next_try_at, last_error, created_at, claimed_at,
       sent_at
FROM delivery_old;

DROP TABLE delivery_old;
CREATE INDEX delivery_pending ON delivery(status, next_try_at);
CREATE INDEX delivery_failed ON delivery(coalition_id, status, created_at);
