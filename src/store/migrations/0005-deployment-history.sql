-- Every version rolled out, with the spec it ran, so a rollback re-applies a known spec.
CREATE TABLE deployment_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  environment TEXT NOT NULL,
  version TEXT NOT NULL,
  spec TEXT NOT NULL,
  actor TEXT NOT NULL,
  backend TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('active', 'superseded', 'failed')),
  at TEXT NOT NULL
);

CREATE INDEX deployment_history_by_name ON deployment_history (name, environment, id);
