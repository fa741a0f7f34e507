-- Online signing (线上签约): an employer's invitation to a graduate, which becomes a signing under
-- review when the graduate accepts it. Instants are DATETIME(6) in UTC.
CREATE TABLE online_signings (
  id BIGINT NOT NULL AUTO_INCREMENT,
  school_id BIGINT NOT NULL,
  class_year INT NOT NULL,
  graduate_id BIGINT NOT NULL,
  graduate_name VARCHAR(100) NOT NULL,
  student_number VARCHAR(64) NOT NULL DEFAULT '',
  department VARCHAR(100) NOT NULL DEFAULT '',
  employer_id BIGINT NOT NULL,
  employer_name VARCHAR(200) NOT NULL,
  employer_credit_code CHAR(18) NOT NULL DEFAULT '',
  -- The invitation's answer: INVITED, DECLINED, WITHDRAWN or ACCEPTED. An INVITED row past its
  -- answer_deadline is shown as expired (签约邀请已失效).
  invitation_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The review columns of libs/review once accepted (PENDING, REJECTED, APPROVED, VOIDED and
  -- DEPARTMENT, SCHOOL or ''); '' before.
  review_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  review_stage VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  answer_deadline DATETIME(6) NOT NULL,
  -- 1 while the invitation waits for an answer, NULL once answered, withdrawn or found expired:
  -- the unique key allows one open invitation per employer and graduate.
  open_marker TINYINT NULL,
  reject_reason_code VARCHAR(64) NOT NULL DEFAULT '',
  reject_detail VARCHAR(500) NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_online_signings_open (employer_id, graduate_id, open_marker),
  KEY ix_online_signings_graduate (graduate_id, id),
  KEY ix_online_signings_employer (employer_id, id),
  KEY ix_online_signings_review (school_id, review_state, department, id),
  KEY ix_online_signings_school (school_id, department, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
