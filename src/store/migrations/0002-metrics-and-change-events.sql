-- The embedded metrics source: scrape targets, the series layout of their snapshots, and
-- one row per target per scrape holding every series' value (a Float64Array, in the order
-- of its schema's series). One row per scrape keeps writes cheap and 14 days of history small.
CREATE TABLE metric_targets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  deployment TEXT NOT NULL,
  url TEXT NOT NULL
);

CREATE TABLE metric_schemas (
  id INTEGER PRIMARY KEY,
  target_id INTEGER NOT NULL REFERENCES metric_targets (id),
  series TEXT NOT NULL
);

CREATE TABLE metric_snapshots (
  target_id INTEGER NOT NULL REFERENCES metric_targets (id),
  t INTEGER NOT NULL, -- unix milliseconds: rates over short windows need the real scrape times
  schema_id INTEGER NOT NULL REFERENCES metric_schemas (id),
  vals BLOB NOT NULL,
  PRIMARY KEY (target_id, t)
) WITHOUT ROWID;

-- Changes that may explain what metrics do: deploys, config changes, scaling, incidents.
CREATE TABLE change_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  description TEXT NOT NULL,
  actor TEXT,
  source TEXT NOT NULL
);

CREATE INDEX change_events_by_time ON change_events (time);
