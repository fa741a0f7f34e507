-- Reconciliations of the ledger with the destinations the EMS holds, one run per school, and the
-- differences each run found.
CREATE TABLE reconciliation_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  school_id BIGINT NOT NULL,
  started_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NOT NULL,
  graduates_compared INT NOT NULL,
  ems_records INT NOT NULL,
  difference_count INT NOT NULL,
  KEY ix_reconciliation_runs_school (school_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE reconciliation_differences (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id BIGINT NOT NULL,
  -- NULL for an EMS record of a graduate the platform does not have.
  graduate_id BIGINT NULL,
  -- Masked (110105********1234).
  id_number VARCHAR(32) NOT NULL,
  -- quxiang.sync.v1.DifferenceKind.
  kind TINYINT NOT NULL,
  ledger_version BIGINT NOT NULL,
  ems_version BIGINT NOT NULL,
  ledger_destination_code VARCHAR(8) NOT NULL,
  ems_destination_code VARCHAR(8) NOT NULL,
  -- The platform still has an unsent change for the graduate, so the difference may be in transit.
  pending_delivery BOOLEAN NOT NULL,
  KEY ix_reconciliation_differences_run (run_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
