-- Paper agreement registration (已签纸质就业协议登记, 补登): the data of a signed paper agreement
-- and its stamped scan, entered by the graduate and reviewed by the school. Instants are
-- DATETIME(6) in UTC.
CREATE TABLE paper_registrations (
  id BIGINT NOT NULL AUTO_INCREMENT,
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  graduate_id BIGINT NOT NULL,
  graduate_name VARCHAR(100) NOT NULL,
  student_number VARCHAR(64) NOT NULL DEFAULT '',
  department VARCHAR(100) NOT NULL DEFAULT '',
  employer_name VARCHAR(200) NOT NULL DEFAULT '',
  employer_credit_code VARCHAR(18) NOT NULL DEFAULT '',
  unit_nature_code VARCHAR(8) NOT NULL DEFAULT '',
  industry_code VARCHAR(8) NOT NULL DEFAULT '',
  job_category_code VARCHAR(8) NOT NULL DEFAULT '',
  unit_location_code VARCHAR(6) NOT NULL DEFAULT '',
  position VARCHAR(100) NOT NULL DEFAULT '',
  contact_name VARCHAR(50) NOT NULL DEFAULT '',
  contact_phone VARCHAR(32) NOT NULL DEFAULT '',
  contact_email VARCHAR(100) NOT NULL DEFAULT '',
  employer_address VARCHAR(200) NOT NULL DEFAULT '',
  employer_postal_code VARCHAR(6) NOT NULL DEFAULT '',
  -- YYYY-MM-DD as the graduate typed it, checked to be a real date.
  signed_date VARCHAR(10) NOT NULL DEFAULT '',
  agreement_number VARCHAR(64) NOT NULL DEFAULT '',
  -- The current scan in stored_files (libs/filestore), '' before the first upload.
  scan_file_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The review columns of libs/review (PENDING, RETURNED, REJECTED, WITHDRAWN, APPROVED,
  -- VOIDED and DEPARTMENT, SCHOOL or ''); review_state is '' while the record is a draft.
  review_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  review_stage VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- 1 while the registration is open (draft, in review, returned, withdrawn or approved), NULL
  -- once rejected or voided: the unique key allows one open registration per graduate.
  open_marker TINYINT NULL,
  reject_reason_code VARCHAR(64) NOT NULL DEFAULT '',
  review_detail VARCHAR(500) NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_paper_registrations_open (graduate_id, open_marker),
  KEY ix_paper_registrations_review (school_id, review_state, department, id),
  KEY ix_paper_registrations_school (school_id, department, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
