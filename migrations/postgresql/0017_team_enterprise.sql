-- PostgreSQL twin of migrations/0017_team_enterprise.sql (same table and keys).
--
-- Enterprise Grid: which org each workspace (team) belongs to.
--
-- team_enterprise: one row per (platform, team) the bot has heard from inside an
-- Enterprise Grid org, with that org's id. It is written when a request comes from the
-- team (bolt knows both ids then) and when the team installs the app itself. A delivery
-- row knows its team only; when the team has no installation of its own, the outbox
-- looks here for its org and uses the org-wide installation's token (Slack's
-- `find_installation(enterprise_id, team_id, is_enterprise_install)`). No token here:
-- deleting an installation leaves this row, so a reinstall of the org serves the team.
CREATE TABLE team_enterprise (
    platform       TEXT NOT NULL,
    team_id        TEXT NOT NULL,
    enterprise_id  TEXT NOT NULL,
    seen_at        TEXT NOT NULL,
    PRIMARY KEY (platform, team_id)
);
CREATE INDEX team_enterprise_org ON team_enterprise(platform, enterprise_id);
