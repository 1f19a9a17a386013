-- Child processes the assistant starts (model-server replicas, tuning trials, job commands), so
-- that a start after the assistant was killed (kill -9, OOM) finds the ones still running and
-- stops them. A row is written before its process starts and removed when the process exits.
CREATE TABLE process_ledger (
  id INTEGER PRIMARY KEY,
  -- A random value, also in the child's environment (LLMOPS_PROCESS_TOKEN), that tells our
  -- process from a later one that reuses its pid.
  token TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('replica', 'trial', 'job')),
  -- The assistant process that started it: machine (boot and pid namespace), pid, start time.
  owner_machine TEXT NOT NULL,
  owner_pid INTEGER NOT NULL,
  owner_start TEXT NOT NULL,
  -- NULL between the row and the spawn.
  pid INTEGER,
  pgid INTEGER,
  -- argv as a JSON array.
  command TEXT NOT NULL,
  deployment TEXT,
  environment TEXT,
  version TEXT,
  -- The deployment spec a replica or trial runs, as JSON.
  spec TEXT,
  port INTEGER,
  job_id INTEGER,
  started_at TEXT NOT NULL,
  -- When a replica began to answer on its deployment's address (cut-over).
  serving_since TEXT
);

-- What happened to a rollout that did not finish (interrupted by the assistant's exit), in words.
ALTER TABLE deployment_history ADD COLUMN note TEXT;
