-- PostgreSQL twin of ../0012_health_digest.sql: the same schema in PostgreSQL's words.
-- Coalition health and the weekly digest.
--
-- attendance: who actually came to one meeting occurrence (`/meeting attended #N ...`),
-- recorded after the fact; health counts it, not RSVPs.
-- digest_schedule: when a coalition's weekly digest goes out (`/coalition digest on
-- WEEKDAY TIME`), as a weekday (0 = Monday) and a local wall-clock time in the
-- coalition's zone. No row: no digest.

CREATE TABLE attendance (
    meeting_id   BIGINT NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    occurrence   TEXT NOT NULL,
    person_id    BIGINT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    recorded_by  BIGINT REFERENCES person(id),
    recorded_at  TEXT NOT NULL,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,  -- the order recorded (SQLite: rowid)
    PRIMARY KEY (meeting_id, occurrence, person_id)
);
CREATE INDEX attendance_person ON attendance(person_id);

CREATE TABLE digest_schedule (
    coalition_id  BIGINT PRIMARY KEY REFERENCES coalition(id) ON DELETE CASCADE,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    at_local      TEXT NOT NULL,            -- 'HH:MM'
    set_by        BIGINT REFERENCES person(id),
    set_at        TEXT NOT NULL
);
