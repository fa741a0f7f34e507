-- Offline e-agreements (毕业生申请电子就业协议线下签约): the agreement a graduate fills in for an
-- employer that is not registered, reviewed once as an agreement and once as a stamped scan.
-- Instants are DATETIME(6) in UTC.
CREATE TABLE offline_agreements (
  id BIGINT NOT NULL AUTO_INCREMENT,
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  graduate_id BIGINT NOT NULL,
  graduate_name VARCHAR(100) NOT NULL,
  student_number VARCHAR(64) NOT NULL DEFAULT '',
  department VARCHAR(100) NOT NULL DEFAULT '',
  employer_name VARCHAR(100) NOT NULL,
  employer_credit_code CHAR(18) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  employer_nature_code VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  employer_industry_code VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  employer_location_code VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  employer_address VARCHAR(200) NOT NULL,
  contact_name VARCHAR(50) NOT NULL,
  contact_phone VARCHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  position VARCHAR(100) NOT NULL,
  work_location VARCHAR(100) NOT NULL,
  salary VARCHAR(100) NOT NULL DEFAULT '',
  other_terms VARCHAR(2000) NOT NULL DEFAULT '',
  -- The review the record is in: AGREEMENT (就业协议审核) until the agreement is approved and the
  -- stamped scan uploaded, then SIGNING (签约审核).
  phase VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The review columns of libs/review for the current phase. AGREEMENT with APPROVED is
  -- 等待上传盖章协议.
  review_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  review_stage VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The reason code and detail of the last return or rejection.
  reason_code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  reason_detail VARCHAR(500) NOT NULL DEFAULT '',
  -- The electronic agreement issued on the agreement review's approval.
  agreement_number VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The last stamped scan in the file store (stored_files.id) and its metadata for lists; NULL
  -- before the first upload.
  scan_file_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  scan_file_name VARCHAR(255) NOT NULL DEFAULT '',
  scan_content_type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  scan_size_bytes BIGINT NOT NULL DEFAULT 0,
  scan_uploaded_at DATETIME(6) NULL,
  -- 1 while the record is open, NULL once rejected or voided: the unique key allows one open
  -- offline agreement per graduate.
  open_marker TINYINT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_offline_agreements_open (graduate_id, open_marker),
  KEY ix_offline_agreements_graduate (graduate_id, id),
  KEY ix_offline_agreements_review (school_id, phase, review_state, department, id),
  KEY ix_offline_agreements_school (school_id, department, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
