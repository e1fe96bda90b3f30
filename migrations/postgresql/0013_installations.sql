-- PostgreSQL twin of migrations/0013_installations.sql (same tables and keys; epoch
-- seconds as BIGINT).
--
-- Installs to many workspaces (Slack's OAuth flow): one bot, a token per workspace.
--
-- installation: one row per (platform, enterprise, team) the app is installed in. An
-- ordinary workspace install has enterprise_id '' or its Grid org's id and its team
-- id; an org-wide Enterprise Grid install has team_id ''. Empty text instead of NULL
-- keeps the primary key usable on every backend. Tokens are stored only encrypted
-- (Fernet, key from the environment: coalition_bot.tokens); refresh_cipher is set
-- when Slack's token rotation is on. Deleting a row (app uninstalled, tokens revoked)
-- deletes nothing of any coalition: bindings, people and decisions stay.
-- oauth_state: the one-time `state` values of install flows under way, hashed
-- (SHA-256), each consumed (deleted) by the redirect that brings it back.

CREATE TABLE installation (
    platform               TEXT NOT NULL,
    enterprise_id          TEXT NOT NULL DEFAULT '',
    team_id                TEXT NOT NULL DEFAULT '',
    is_enterprise_install  INTEGER NOT NULL DEFAULT 0,
    app_id                 TEXT NOT NULL DEFAULT '',
    enterprise_name        TEXT NOT NULL DEFAULT '',
    team_name              TEXT NOT NULL DEFAULT '',
    bot_id                 TEXT NOT NULL DEFAULT '',
    bot_user_id            TEXT NOT NULL DEFAULT '',
    bot_scopes             TEXT NOT NULL DEFAULT '',
    installer_user_id      TEXT NOT NULL DEFAULT '',
    token_cipher           TEXT NOT NULL,
    refresh_cipher         TEXT,
    token_expires_at       BIGINT,
    installed_at           TEXT NOT NULL,
    PRIMARY KEY (platform, enterprise_id, team_id)
);
CREATE INDEX installation_team ON installation(platform, team_id);

CREATE TABLE oauth_state (
    state_hash  TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL
);
