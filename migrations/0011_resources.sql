-- Resource sharing between partners: what an organization offers (a meeting hall, a
-- lawyer's hour, Spanish-speaking canvassers) and what it asks for, and which other
-- organizations committed to meet an ask or to use an offer (`resource_take`).
--
-- `ends_at` is the end of the day given with until:/by: (in the coalition's zone), NULL
-- for an item open until closed. An item past it counts as expired when read, whatever
-- its status says. `remind_at` is when its poster's organization is reminded (three
-- days before, or at once when posted with less time left); the scheduler finds it by
-- this column. `tags` are normalized words, space separated.

CREATE TABLE resource (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('offer', 'ask')),
    org_id        INTEGER NOT NULL REFERENCES org(id),
    text          TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '',
    ends_at       TEXT,
    remind_at     TEXT,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'met', 'withdrawn', 'expired')),
    posted_by     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    closed_at     TEXT,
    closed_by     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    close_note    TEXT NOT NULL DEFAULT '',
    UNIQUE (coalition_id, number)
);
CREATE INDEX resource_open ON resource(coalition_id, status, created_at);
CREATE INDEX resource_remind ON resource(status, remind_at);

CREATE TABLE resource_take (
    id            INTEGER PRIMARY KEY,
    resource_id   INTEGER NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
    org_id        INTEGER NOT NULL REFERENCES org(id),
    person_id     INTEGER REFERENCES person(id) ON DELETE SET NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    UNIQUE (resource_id, org_id)
);
