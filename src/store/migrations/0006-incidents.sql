-- One incident thread per Alertmanager alert group: repeated notifications of the group
-- go to the same thread; resolution is posted there.
CREATE TABLE incidents (
  group_key TEXT PRIMARY KEY,
  thread_id TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  fingerprints TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT
);
