-- Conversation memory: one thread per surface conversation (local chat session,
-- Slack thread), its messages in order as LangChain stored-message JSON.
CREATE TABLE threads (
  id TEXT PRIMARY KEY,
  surface TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('human', 'ai', 'tool', 'system')),
  body TEXT NOT NULL,
  user_id TEXT,
  created_at TEXT NOT NULL
);

CREATE INDEX messages_by_thread ON messages (thread_id, id);
