-- Open action items by due date, for the sweep that reminds owners before and when an
-- item is due (`store.meetings.open_actions_due`): without it, every tick read every
-- note ever written.
CREATE INDEX note_action_due ON note(due_at) WHERE kind = 'action' AND done_at IS NULL;
