-- Off-limits topics the coalition agreed on, proposals for new ones, and the rate limit
-- of private nudges. No table here (or anywhere) holds the text of a chat message.

CREATE TABLE topic (
    id              INTEGER PRIMARY KEY,
    coalition_id    INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    phrase          TEXT NOT NULL,
    phrase_key      TEXT NOT NULL,          -- the normalized words, for uniqueness
    reason          TEXT NOT NULL DEFAULT '',
    added_by        INTEGER REFERENCES person(id),
    decision_number INTEGER,                -- set when a poll decided it
    added_at        TEXT NOT NULL,
    removed_at      TEXT,
    removed_by      INTEGER REFERENCES person(id)
);
CREATE UNIQUE INDEX topic_active ON topic(coalition_id, phrase_key) WHERE removed_at IS NULL;

-- A topic proposed by a representative, waiting on its poll.
CREATE TABLE topic_proposal (
    poll_id      INTEGER PRIMARY KEY REFERENCES poll(id) ON DELETE CASCADE,
    phrase       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    proposed_by  INTEGER REFERENCES person(id)
);

-- Bumped whenever a coalition's topic list changes, so compiled matchers know to rebuild.
CREATE TABLE topic_version (
    coalition_id  INTEGER PRIMARY KEY REFERENCES coalition(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL
);

-- The last nudge a person got for a topic (at most one per 10 minutes).
CREATE TABLE nudge (
    person_id   INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    topic_id    INTEGER NOT NULL REFERENCES topic(id) ON DELETE CASCADE,
    last_at     TEXT NOT NULL,
    PRIMARY KEY (person_id, topic_id)
);
