-- The health check's own rows: /healthz rewrites row 1 (a timestamp, the same size each time)
-- to prove the database can be written without growing it; after a failed write (a full disk)
-- it rewrites row 2 with 64 KiB to prove there is room for a turn again.
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  filler BLOB
);
