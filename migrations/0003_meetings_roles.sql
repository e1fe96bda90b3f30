-- Strategy meetings (one-off or recurring), RSVPs, agendas, notes and action items;
-- roles and who holds them.
-- A meeting's start is local wall-clock time in its zone (`start_local`, no offset):
-- occurrences are computed in local time so 18:00 stays 18:00 across DST changes.
-- An occurrence is named by its original local start (`occurrence`, 2026-12-01T18:00).

CREATE TABLE meeting (
    id              INTEGER PRIMARY KEY,
    coalition_id    INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    title           TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    start_local     TEXT NOT NULL,
    rrule           TEXT,                 -- NULL for a one-off meeting
    until_local     TEXT,
    duration_min    INTEGER NOT NULL CHECK (duration_min > 0),
    location        TEXT NOT NULL DEFAULT '',
    remind_min      TEXT NOT NULL,        -- reminder offsets in minutes, '1440,60'
    cancelled       INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    created_by      INTEGER REFERENCES person(id),
    created_at      TEXT NOT NULL,
    UNIQUE (coalition_id, number)
);

-- One occurrence cancelled, or moved to another local start.
CREATE TABLE meeting_change (
    meeting_id    INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    occurrence    TEXT NOT NULL,
    cancelled     INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    moved_to      TEXT,                   -- local start, when moved
    PRIMARY KEY (meeting_id, occurrence)
);

CREATE TABLE rsvp (
    meeting_id    INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    occurrence    TEXT NOT NULL,
    person_id     INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    answer        TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
    answered_at   TEXT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence, person_id)
);

CREATE TABLE agenda_item (
    id            INTEGER PRIMARY KEY,
    meeting_id    INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    occurrence    TEXT NOT NULL,
    text          TEXT NOT NULL,
    added_by      INTEGER REFERENCES person(id),
    added_at      TEXT NOT NULL
);
CREATE INDEX agenda_item_meeting ON agenda_item(meeting_id, occurrence);

-- Minutes material. Action items get a per-coalition number (`done 4`).
CREATE TABLE note (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    meeting_id    INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    occurrence    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('action', 'decision', 'info')),
    text          TEXT NOT NULL,
    action_number INTEGER,                -- set for actions only
    owner_id      INTEGER REFERENCES person(id),
    due_at        TEXT,
    done_at       TEXT,
    done_by       INTEGER REFERENCES person(id),
    added_by      INTEGER REFERENCES person(id),
    added_at      TEXT NOT NULL,
    UNIQUE (coalition_id, action_number)
);
CREATE INDEX note_meeting ON note(meeting_id, occurrence);
CREATE INDEX note_open_actions ON note(coalition_id, kind, done_at);

CREATE TABLE role (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    UNIQUE (coalition_id, number),
    UNIQUE (coalition_id, name_key)
);

CREATE TABLE role_holder (
    role_id       INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    org_id        INTEGER REFERENCES org(id) ON DELETE SET NULL,  -- on behalf of
    assigned_by   INTEGER REFERENCES person(id),
    assigned_at   TEXT NOT NULL,
    PRIMARY KEY (role_id, person_id)
);
