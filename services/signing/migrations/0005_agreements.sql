-- Electronic employment agreements (电子就业协议书) of the signing flows, their PDF versions and
-- the agreement terms of online signing. Instants are DATETIME(6) in UTC.

-- The last sequence number allocated per school and graduating class, for agreement numbers
-- <院校代码>-<class year>-<6-digit sequence>.
CREATE TABLE agreement_sequences (
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  last_value BIGINT NOT NULL,
  PRIMARY KEY (school_id, class_year)
) ENGINE=InnoDB;

-- One agreement per flow record; its number never changes.
CREATE TABLE agreements (
  id BIGINT NOT NULL AUTO_INCREMENT,
  agreement_number VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  -- The flow of the record: ONLINE, OFFLINE or PAPER.
  flow VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  record_id BIGINT NOT NULL,
  latest_version INT NOT NULL,
  -- Set when the record was voided; every version then verifies as 已作废.
  voided_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_agreements_number (agreement_number),
  UNIQUE KEY uk_agreements_record (flow, record_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per issued PDF. Version 1 is the first issue and each modification adds the next one.
CREATE TABLE agreement_versions (
  agreement_id BIGINT NOT NULL,
  version INT NOT NULL,
  -- The PDF in the file store (stored_files.id).
  file_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- SHA-256 of the agreement content (StoredAgreementContent, deterministic protobuf bytes).
  content_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The 8-character verification code printed on this version.
  verification_code CHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The content as protobuf JSON (quxiang.signing.v1.StoredAgreementContent).
  content_json MEDIUMTEXT NOT NULL,
  issued_by VARCHAR(64) NOT NULL DEFAULT '',
  issued_at DATETIME(6) NOT NULL,
  PRIMARY KEY (agreement_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The agreement terms that the employer fills in with its invitation, and the agreement of an
-- approved signing. A school user may change the terms after approval (ModifyOnlineSigning).
ALTER TABLE online_signings
  ADD COLUMN position VARCHAR(100) NOT NULL DEFAULT '',
  ADD COLUMN work_location VARCHAR(100) NOT NULL DEFAULT '',
  ADD COLUMN salary VARCHAR(100) NOT NULL DEFAULT '',
  ADD COLUMN other_terms TEXT NULL,
  ADD COLUMN employer_address VARCHAR(200) NOT NULL DEFAULT '',
  ADD COLUMN employer_contact_name VARCHAR(50) NOT NULL DEFAULT '',
  ADD COLUMN employer_contact_phone VARCHAR(30) NOT NULL DEFAULT '',
  ADD COLUMN agreement_number VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  ADD COLUMN agreement_version INT NOT NULL DEFAULT 0;
