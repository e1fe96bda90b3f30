-- Decision polls, their votes, and the decision log.

CREATE TABLE poll (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    question      TEXT NOT NULL,
    proposal      INTEGER NOT NULL CHECK (proposal IN (0, 1)),  -- agree/abstain/disagree/block
    choices       TEXT NOT NULL,                                 -- JSON array, in order
    electorate    TEXT NOT NULL CHECK (electorate IN ('orgs', 'members')),
    rule          TEXT NOT NULL
                  CHECK (rule IN ('majority', 'supermajority', 'consensus', 'plurality')),
    quorum_pct    INTEGER NOT NULL CHECK (quorum_pct BETWEEN 0 AND 100),
    anonymous     INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    results       TEXT NOT NULL CHECK (results IN ('live', 'hidden')),
    closes_at     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at     TEXT,
    closed_by     INTEGER REFERENCES person(id),
    created_by    INTEGER REFERENCES person(id),
    created_at    TEXT NOT NULL,
    UNIQUE (coalition_id, number)
);
CREATE INDEX poll_open ON poll(status, closes_at);

-- One row per voter (an organization in an org poll, a person in a member poll).
-- The primary key makes a second vote by the same voter replace the first, however
-- the two arrive. In an anonymous poll `choice` and `reason` stay NULL: the choice
-- goes only into anonymous_tally, apart from any voter identity.
CREATE TABLE vote (
    poll_id    INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    voter      TEXT NOT NULL,                      -- 'org:ID' or 'person:ID'
    org_id     INTEGER REFERENCES org(id) ON DELETE SET NULL,
    cast_by    INTEGER NOT NULL REFERENCES person(id),
    choice     TEXT,
    reason     TEXT,
    cast_at    TEXT NOT NULL,
    changes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, voter)
);

CREATE TABLE anonymous_tally (
    poll_id  INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    choice   TEXT NOT NULL,
    votes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, choice)
);

-- What was decided: written in the same transaction as the poll's close.
CREATE TABLE decision (
    id             INTEGER PRIMARY KEY,
    coalition_id   INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    poll_id        INTEGER UNIQUE REFERENCES poll(id) ON DELETE SET NULL,
    question       TEXT NOT NULL,
    rule           TEXT NOT NULL,
    outcome        TEXT NOT NULL,       -- passed / failed / tie / no quorum / a winning choice
    summary        TEXT NOT NULL,
    tallies        TEXT NOT NULL,       -- JSON object choice -> votes
    voters         TEXT NOT NULL,       -- JSON list; no choices or reasons when anonymous
    electorate     INTEGER NOT NULL,
    voted          INTEGER NOT NULL,
    quorum_met     INTEGER NOT NULL,
    anonymous      INTEGER NOT NULL,
    decided_at     TEXT NOT NULL,
    closed_by      TEXT NOT NULL,       -- a name, or 'deadline'
    UNIQUE (coalition_id, number)
);
