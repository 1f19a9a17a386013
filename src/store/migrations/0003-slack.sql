-- Slack deliveries already handled (Slack retries and redelivers; each is answered once),
-- and the threads the bot takes part in, so follow-ups there need no new mention.
CREATE TABLE slack_deliveries (
  id TEXT PRIMARY KEY,
  received_at TEXT NOT NULL
);

CREATE TABLE slack_threads (
  channel TEXT NOT NULL,
  thread_ts TEXT NOT NULL,
  started_at TEXT NOT NULL,
  PRIMARY KEY (channel, thread_ts)
) WITHOUT ROWID;
