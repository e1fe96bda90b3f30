-- When each meeting series' next reminder may be due, so that a scheduler tick reads
-- only the series with something coming instead of expanding every series.
-- It is a lower bound: no reminder of the series falls between the scheduler's sweep
-- mark and next_remind_at. NULL means "not known": the next sweep works it out.
-- The triggers forget it whenever the series or one of its occurrences changes, so no
-- code path can leave it stale.

ALTER TABLE meeting ADD COLUMN next_remind_at TEXT;

CREATE INDEX meeting_next_remind ON meeting(next_remind_at) WHERE cancelled = 0;

CREATE TRIGGER meeting_series_changed
AFTER UPDATE OF start_local, rrule, until_local, duration_min, remind_min, cancelled, timezone
ON meeting
BEGIN
    UPDATE meeting SET next_remind_at = NULL WHERE id = NEW.id;
END;

CREATE TRIGGER meeting_occurrence_added AFTER INSERT ON meeting_change
BEGIN
    UPDATE meeting SET next_remind_at = NULL WHERE id = NEW.meeting_id;
END;

CREATE TRIGGER meeting_occurrence_changed AFTER UPDATE ON meeting_change
BEGIN
    UPDATE meeting SET next_remind_at = NULL WHERE id = NEW.meeting_id;
END;

CREATE TRIGGER meeting_occurrence_restored AFTER DELETE ON meeting_change
BEGIN
    UPDATE meeting SET next_remind_at = NULL WHERE id = OLD.meeting_id;
END;
