-- Optimisation jobs (tuning, quantisation, distillation): what was asked, by whom and where,
-- how far it got, and what came out. Lines a job printed are kept in job_logs (the newest
-- 2,000 per job), for the thread and for failure reports.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('tune', 'quantize', 'distill')),
  deployment TEXT NOT NULL,
  environment TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  params TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  progress_text TEXT NOT NULL DEFAULT '',
  result TEXT,
  error TEXT,
  requester TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  executor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  cancelled_by TEXT
);
CREATE INDEX jobs_by_state ON jobs (state);

CREATE TABLE job_logs (
  job_id INTEGER NOT NULL REFERENCES jobs (id),
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
