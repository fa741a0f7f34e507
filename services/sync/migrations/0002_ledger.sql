-- The destination ledger: one row per graduate, the authority on which flow holds the graduate
-- and which destination the EMS must have.
CREATE TABLE ledger (
  graduate_id BIGINT NOT NULL PRIMARY KEY,
  -- 1 NONE, 2 CLAIMED, 3 EFFECTIVE (quxiang.sync.v1.LedgerState).
  state TINYINT NOT NULL DEFAULT 1,
  -- The flow (quxiang.sync.v1.Flow) and its record holding the graduate: 0 and '' when NONE.
  holder_flow TINYINT NOT NULL DEFAULT 0,
  holder_record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  claimed_at DATETIME(6) NULL,
  -- The destination of the last commit or void, a serialized quxiang.ems.v1.Destination; NULL
  -- before the first. destination_code repeats its code for statistics and reconciliation.
  destination LONGBLOB NULL,
  destination_code VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The version the EMS receives: one more for each commit, void and re-sync after a restore.
  ledger_version BIGINT NOT NULL DEFAULT 0,
  -- The row's etag.
  version BIGINT NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL,
  KEY ix_ledger_claims (state, claimed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Graduates stored before the ledger existed.
INSERT INTO ledger (graduate_id, updated_at) SELECT id, UTC_TIMESTAMP(6) FROM graduates;
