-- The coalition's page and calendar feeds, served by the bot's web server ([web]).
--
-- coalition_page: one row per coalition that has turned its page on at least once.
-- `slug` is the page's address (/c/SLUG): from the coalition's name for a public page,
-- random and unguessable for a `link` page; `/coalition page rotate` replaces it, and
-- the old one answers 404 at once. `shown` lists what the page shows, comma-separated
-- (goals, decisions, meetings, topics, names). `enabled` = 0: the page and its feed
-- answer 404, and nothing else changes.
-- calendar_feed: a person's secret personal feed (/feed/TOKEN.ics), only the meetings
-- they said yes or maybe to. `/meeting feed reset` replaces the token.

CREATE TABLE coalition_page (
    coalition_id  INTEGER PRIMARY KEY REFERENCES coalition(id) ON DELETE CASCADE,
    slug          TEXT NOT NULL UNIQUE,
    access        TEXT NOT NULL CHECK (access IN ('public', 'link')),
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    shown         TEXT NOT NULL,
    changed_by    INTEGER REFERENCES person(id) ON DELETE SET NULL,
    changed_at    TEXT NOT NULL
);

CREATE TABLE calendar_feed (
    person_id     INTEGER PRIMARY KEY REFERENCES person(id) ON DELETE CASCADE,
    token         TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);
