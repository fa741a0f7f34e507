-- Warned employers: each school's marks, the cross-school aggregate per employer, and the audit
-- log. Instants are DATETIME(6) in UTC; every table is utf8mb4 so names outside the BMP fit.

-- One school's mark on one employer. The unique key allows one mark per school and credit code,
-- which makes the aggregate's school_count a count of distinct schools.
CREATE TABLE warning_marks (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  school_id BIGINT NOT NULL,
  credit_code CHAR(18) NOT NULL,
  employer_name VARCHAR(200) NOT NULL DEFAULT '',
  category TINYINT NOT NULL,
  note VARCHAR(500) NOT NULL DEFAULT '',
  created_by_user_id VARCHAR(64) NOT NULL DEFAULT '',
  created_by VARCHAR(64) NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_warning_marks_school_code (school_id, credit_code),
  KEY ix_warning_marks_school (school_id, id),
  KEY ix_warning_marks_school_category (school_id, category, id),
  KEY ix_warning_marks_school_name (school_id, employer_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per employer: how many distinct schools marked it, and how many chose each category. The row
-- changes in the same transaction as every mark insert, delete and category change, by atomic
-- increments, so it always equals a recount of warning_marks. Rows that fall to zero stay.
CREATE TABLE warning_aggregates (
  credit_code CHAR(18) NOT NULL PRIMARY KEY,
  school_count INT NOT NULL DEFAULT 0,
  violation_count INT NOT NULL DEFAULT 0,
  fake_employer_count INT NOT NULL DEFAULT 0,
  discrimination_count INT NOT NULL DEFAULT 0,
  false_advertising_count INT NOT NULL DEFAULT 0,
  other_count INT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  occurred_at DATETIME(6) NOT NULL,
  actor_user_id VARCHAR(64) NOT NULL DEFAULT '',
  actor_username VARCHAR(64) NOT NULL DEFAULT '',
  actor_kind TINYINT NOT NULL DEFAULT 0,
  school_id BIGINT NOT NULL,
  action VARCHAR(64) NOT NULL,
  target_type VARCHAR(32) NOT NULL,
  target_id VARCHAR(64) NOT NULL DEFAULT '',
  before_json TEXT NULL,
  after_json TEXT NULL,
  -- The client's idempotency key of the change.
  request_id VARCHAR(128) NOT NULL DEFAULT '',
  -- The x-request-id of the call, for finding its log lines.
  trace_id VARCHAR(64) NOT NULL DEFAULT '',
  peer VARCHAR(128) NOT NULL DEFAULT '',
  KEY ix_audit_school (school_id, id),
  KEY ix_audit_target (target_type, target_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
