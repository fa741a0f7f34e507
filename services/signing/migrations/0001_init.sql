-- Signing settings per school and graduating class, the markers that later flows maintain on
-- them, and the audit log. Instants are DATETIME(6) in UTC; every table is utf8mb4 so names
-- outside the BMP fit.

-- The submitted settings of one school and class. A missing row means not submitted yet.
CREATE TABLE signing_settings (
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  -- accounts.v1.AgreementType at the last submission.
  agreement_type TINYINT NOT NULL,
  online_signing_enabled BOOLEAN NOT NULL,
  paper_registration_enabled BOOLEAN NOT NULL,
  destination_registration_enabled BOOLEAN NOT NULL,
  -- signing.v1.ReviewMode.
  review_mode TINYINT NOT NULL,
  max_termination_applications INT NOT NULL,
  -- signing.v1.HandlerScope.
  handler_scope TINYINT NOT NULL,
  -- The handler of the whole school (handler_scope 1), or of 本专科 (handler_scope 2).
  handler_name VARCHAR(50) NOT NULL DEFAULT '',
  handler_phone VARCHAR(32) NOT NULL DEFAULT '',
  handler_postal_address VARCHAR(200) NOT NULL DEFAULT '',
  handler_postal_code CHAR(6) NOT NULL DEFAULT '',
  -- The handler of 研究生 (handler_scope 2 only).
  postgraduate_handler_name VARCHAR(50) NOT NULL DEFAULT '',
  postgraduate_handler_phone VARCHAR(32) NOT NULL DEFAULT '',
  postgraduate_handler_postal_address VARCHAR(200) NOT NULL DEFAULT '',
  postgraduate_handler_postal_code CHAR(6) NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 1,
  updated_by_user_id VARCHAR(64) NOT NULL DEFAULT '',
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (school_id, class_year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What the flows have done under the settings of a school and class. The flows change it in
-- their own transactions (SettingsUsage in services/signing/repository.h), and a settings update
-- locks the row, so that a flow and an update never both pass their checks at once.
CREATE TABLE settings_usage (
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  -- The first time a graduate or employer acted; the switches stay on from then on.
  first_acted_at DATETIME(6) NULL,
  -- Records of this school and class in a review flow; the review mode changes only at 0.
  records_in_review INT NOT NULL DEFAULT 0,
  PRIMARY KEY (school_id, class_year)
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
