-- PostgreSQL twin of ../0010_fair_decisions.sql: the same schema in PostgreSQL's words.
-- Fairer decisions.
--
-- poll_elector: who may vote in a poll, fixed when it opens ('org:ID' or 'person:ID',
-- as in vote.voter). Somebody who first uses the bot, or an organization added, while a
-- poll is open does not change its quorum base. An organization that leaves, a person a
-- coordinator removes before voting, or an organization made an observer, drop out.
-- Polls opened before this migration get the organizations and people that existed
-- when they opened.
CREATE TABLE poll_elector (
    poll_id  BIGINT NOT NULL REFERENCES poll(id) ON DELETE CASCADE,
    voter    TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter)
);

INSERT INTO poll_elector (poll_id, voter)
SELECT p.id, 'org:' || o.id FROM poll p JOIN org o ON o.coalition_id = p.coalition_id
WHERE p.electorate = 'orgs' AND o.created_at <= p.created_at;

INSERT INTO poll_elector (poll_id, voter)
SELECT p.id, 'person:' || pe.id FROM poll p JOIN person pe ON pe.coalition_id = p.coalition_id
WHERE p.electorate = 'members' AND pe.created_at <= p.created_at;

-- Votes cast before this migration always count as electors of their poll.
INSERT INTO poll_elector (poll_id, voter) SELECT poll_id, voter FROM vote
ON CONFLICT DO NOTHING;

-- A person a coordinator removed (`/coalition member remove`): no roles, in no new
-- members-poll's electorate. Running a command again brings them back as a member.
ALTER TABLE person ADD COLUMN left_at TEXT;

-- A topic poll may propose adding a topic or removing one (`/topic propose-remove`).
ALTER TABLE topic_proposal ADD COLUMN action TEXT NOT NULL DEFAULT 'add'
    CHECK (action IN ('add', 'remove'));
