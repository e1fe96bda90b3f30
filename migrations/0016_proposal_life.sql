-- The whole life of a proposal (services/proposals.py).
--
-- poll.details: background text and links (`details:`), editable (`/poll edit`).
-- poll.pick: how many choices each voter may choose (`pick:K`, multiple-choice polls
--   under plurality); a vote's `choice` then holds them joined by '|'.
-- poll.withdrawn_at / withdraw_reason: a poll taken back (`/poll withdraw`): its status
--   is 'closed' but it has no decision, and it is not counted as an outcome.
-- poll.outcome_text: the written outcome statement after the close (`/poll outcome`).
ALTER TABLE poll ADD COLUMN details TEXT NOT NULL DEFAULT '';
ALTER TABLE poll ADD COLUMN pick INTEGER NOT NULL DEFAULT 1 CHECK (pick >= 1);
ALTER TABLE poll ADD COLUMN withdrawn_at TEXT;
ALTER TABLE poll ADD COLUMN withdraw_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE poll ADD COLUMN outcome_text TEXT NOT NULL DEFAULT '';

-- Proxies (services/proxies.py): an organization's representative hands the
-- organization's vote in one poll to another organization's representative or a
-- coordinator. One proxy per organization and poll; `vote.by_proxy` marks a vote its
-- holder cast (the record of who cast what for whom: voter, cast_by, by_proxy).
CREATE TABLE poll_proxy (
    poll_id    INTEGER NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    voter      TEXT NOT NULL,                       -- 'org:ID'
    holder_id  INTEGER NOT NULL REFERENCES person(id),
    given_by   INTEGER NOT NULL REFERENCES person(id),
    given_at   TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter)
);
CREATE INDEX poll_proxy_holder ON poll_proxy(holder_id);
ALTER TABLE vote ADD COLUMN by_proxy INTEGER NOT NULL DEFAULT 0;
