-- The embedded metrics store by chunk and family (issue 15): a query reads only the metric
-- family it asks for, instead of every series of every scrape. A target's scrapes are cut
-- into chunks of up to 120 scrapes; `metric_chunks` holds each chunk's scrape times and the
-- series layout (a `metric_schemas` row) of each scrape, and `metric_chunk_values` one row per
-- family and chunk with that family's values (float64, scrape by scrape, in the order of its
-- keyset, also a `metric_schemas` row; NaN where a scrape lacked the series). Until a chunk is
-- full it is stored in pieces of a few scrapes, each with one values row of family '' holding
-- whole scrapes (each in its own layout's order), so that storing a scrape rewrites few pages.
-- The rows of `metric_snapshots` (one per scrape, every series) are moved into chunks by the
-- store when it opens a database that still has them, so an upgrade keeps its history.
CREATE TABLE metric_chunks (
  target_id INTEGER NOT NULL REFERENCES metric_targets (id),
  t0 INTEGER NOT NULL, -- the chunk's first scrape, unix ms
  t1 INTEGER NOT NULL, -- its last scrape
  n INTEGER NOT NULL,
  times BLOB NOT NULL, -- float64 unix ms of each scrape
  schemas BLOB NOT NULL, -- uint32 metric_schemas id of each scrape
  families TEXT NOT NULL, -- JSON array of the families with a metric_chunk_values row
  PRIMARY KEY (target_id, t0)
) WITHOUT ROWID;

CREATE TABLE metric_chunk_values (
  target_id INTEGER NOT NULL,
  family TEXT NOT NULL,
  t0 INTEGER NOT NULL,
  keyset_id INTEGER NOT NULL REFERENCES metric_schemas (id),
  vals BLOB NOT NULL,
  PRIMARY KEY (target_id, family, t0)
) WITHOUT ROWID;
