-- Coalitions, where they live, who is in them, and what they work toward.
-- Times are ISO 8601 text in UTC. Users refer to things by per-coalition numbers
-- (`number`), never by `id`.

CREATE TABLE coalition (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    created_by  INTEGER REFERENCES person(id),
    created_at  TEXT NOT NULL
);

-- A platform workspace (Slack team, Discord guild, the console) bound to a coalition.
-- One coalition may have several (one per platform), each with its own home channel.
CREATE TABLE binding (
    id               INTEGER PRIMARY KEY,
    coalition_id     INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    platform         TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    home_channel_id  TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (platform, workspace_id)
);
CREATE INDEX binding_coalition ON binding(coalition_id);

CREATE TABLE org (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,          -- case-folded name, for lookups and uniqueness
    observer      INTEGER NOT NULL DEFAULT 0 CHECK (observer IN (0, 1)),
    created_at    TEXT NOT NULL,
    UNIQUE (coalition_id, number),
    UNIQUE (coalition_id, name_key)
);

-- A platform user as seen inside one coalition.
CREATE TABLE person (
    id                INTEGER PRIMARY KEY,
    coalition_id      INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    platform          TEXT NOT NULL,
    platform_user_id  TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    org_id            INTEGER REFERENCES org(id) ON DELETE SET NULL,  -- declared with `join`
    created_at        TEXT NOT NULL,
    UNIQUE (coalition_id, platform, platform_user_id)
);

CREATE TABLE representative (
    org_id      INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    added_by    INTEGER REFERENCES person(id),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
CREATE INDEX representative_person ON representative(person_id);

CREATE TABLE coordinator (
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    added_by      INTEGER REFERENCES person(id),
    added_at      TEXT NOT NULL,
    PRIMARY KEY (coalition_id, person_id)
);

CREATE TABLE goal (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    text          TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_by    INTEGER REFERENCES person(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (coalition_id, number)
);

CREATE TABLE goal_update (
    id          INTEGER PRIMARY KEY,
    goal_id     INTEGER NOT NULL REFERENCES goal(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    person_id   INTEGER REFERENCES person(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX goal_update_goal ON goal_update(goal_id);

-- The last short number handed out per coalition and kind ('org', 'goal', ...).
CREATE TABLE number_seq (
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    last          INTEGER NOT NULL,
    PRIMARY KEY (coalition_id, kind)
);
