-- One-time codes with which a coordinator connects another workspace (a Slack
-- workspace, a Discord server) to the coalition, so partners on either platform share
-- one coalition. Only a hash of each code is kept; a code works once, for a day.

CREATE TABLE link_code (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL UNIQUE,
    created_by    INTEGER REFERENCES person(id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,
    used_binding  INTEGER REFERENCES binding(id) ON DELETE SET NULL
);
CREATE INDEX link_code_coalition ON link_code(coalition_id);
