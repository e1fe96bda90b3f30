-- PostgreSQL twin of ../0006_next_reminder.sql: the same schema in PostgreSQL's words.
-- When each meeting series' next reminder may be due, so that a scheduler tick reads
-- only the series with something coming instead of expanding every series.
-- It is a lower bound: no reminder of the series falls between the scheduler's sweep
-- mark and next_remind_at. NULL means "not known": the next sweep works it out.
-- The triggers forget it whenever the series or one of its occurrences changes, so no
-- code path can leave it stale.

ALTER TABLE meeting ADD COLUMN next_remind_at TEXT;

CREATE INDEX meeting_next_remind ON meeting(next_remind_at) WHERE cancelled = 0;

-- PostgreSQL's triggers call a function; one per table.
CREATE FUNCTION meeting_forget_next_remind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meeting SET next_remind_at = NULL WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER meeting_series_changed
AFTER UPDATE OF start_local, rrule, until_local, duration_min, remind_min, cancelled, timezone
ON meeting
FOR EACH ROW EXECUTE FUNCTION meeting_forget_next_remind();

CREATE FUNCTION meeting_change_forget_next_remind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meeting SET next_remind_at = NULL
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.meeting_id ELSE NEW.meeting_id END;
    RETURN NULL;
END $$;

CREATE TRIGGER meeting_occurrence_changed
AFTER INSERT OR UPDATE OR DELETE ON meeting_change
FOR EACH ROW EXECUTE FUNCTION meeting_change_forget_next_remind();
