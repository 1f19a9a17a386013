-- Risky calls wait here for people. The arguments are stored exactly as proposed, with
-- their hash; the requirement (approvers, self-approval, how many) is copied from the
-- policy at proposal time.
CREATE TABLE proposals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  risk TEXT NOT NULL,
  environment TEXT,
  deployment TEXT,
  requester TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  plan TEXT NOT NULL,
  plan_details TEXT,
  approvers TEXT NOT NULL,
  allow_self_approval INTEGER NOT NULL,
  approvals_needed INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'executing', 'succeeded', 'failed', 'rejected', 'expired', 'interrupted')),
  result TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_at TEXT,
  started_at TEXT,
  finished_at TEXT
);

CREATE INDEX proposals_by_state ON proposals (state);

CREATE TABLE proposal_decisions (
  proposal_id INTEGER NOT NULL REFERENCES proposals (id),
  user_id TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  reason TEXT,
  at TEXT NOT NULL,
  PRIMARY KEY (proposal_id, user_id)
);

-- Who did what, when. Append-only: the triggers make SQLite itself refuse changes.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  tool TEXT,
  deployment TEXT,
  environment TEXT,
  proposal_id INTEGER,
  details TEXT
);

CREATE INDEX audit_by_time ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
