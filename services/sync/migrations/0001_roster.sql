-- The roster mirror: schools known to the platform, the EMS change cursor, graduates, and the
-- audit log. Instants are DATETIME(6) in UTC; every table is utf8mb4 so names outside the BMP fit.

-- Schools of the platform by 院校代码, as the accounts service resolved them. A school found for
-- the first time reads its whole change history from the EMS (a backfill) before the main cursor
-- applies its changes: backfill_cursor is the sequence read so far, NULL once caught up.
CREATE TABLE schools (
  school_code CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  school_id BIGINT NOT NULL,
  backfill_cursor BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_schools_school_id (school_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- School codes of roster changes that the accounts service did not know. Their changes are
-- skipped by the main cursor and read again by a backfill once the school exists.
CREATE TABLE unknown_schools (
  school_code CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  skipped_changes BIGINT NOT NULL DEFAULT 0,
  first_seen_at DATETIME(6) NOT NULL,
  next_check_at DATETIME(6) NOT NULL,
  KEY ix_unknown_schools_check (next_check_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sequence of the last EMS roster change applied (one row).
CREATE TABLE roster_cursor (
  id TINYINT NOT NULL PRIMARY KEY,
  after_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Roster changes that could not be stored (a field too long, a required field empty, a student
-- number held by another active graduate). The cursor moves past them; a school fixes the data in
-- the EMS, which then sends the graduate again.
CREATE TABLE roster_rejections (
  sequence BIGINT NOT NULL PRIMARY KEY,
  school_code CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  graduate_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  detail VARCHAR(500) NOT NULL,
  rejected_at DATETIME(6) NOT NULL,
  KEY ix_roster_rejections_school (school_code, sequence)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One graduate of a school. The columns from candidate_number to home_postal_code are the fields
-- of quxiang.ems.v1.RosterGraduate with the same names, as text the way the roster writes them.
--
-- A graduate is the same row across removals and re-adds: (school_id, id_number) is its key,
-- as (school code, ID number) is the EMS's. Student numbers are unique among ACTIVE graduates of
-- a school, so that a school that removed a graduate with a wrong ID number and sent the
-- corrected one with the same student number gets a second row while the removed row keeps its
-- records. That rule is kept by the roster feed and the restore under row locks, not by a unique
-- key: a second unique key would let INSERT … ON DUPLICATE KEY UPDATE rewrite the row of another
-- graduate that still held the number earlier in the same batch.
--
-- Lists sort by (department, id) and filter by class and state first, so each list filter has
-- an index that ends in (department, id) and the page query reads ids from it alone.
CREATE TABLE graduates (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  school_id BIGINT NOT NULL,
  class_year SMALLINT NOT NULL,
  -- The EMS's key of the graduate.
  graduate_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  candidate_number VARCHAR(32) NOT NULL DEFAULT '',
  -- Stored in full with a lowercase x made uppercase; never logged, masked in lists.
  id_number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(64) NOT NULL,
  gender_code VARCHAR(8) NOT NULL DEFAULT '',
  gender VARCHAR(16) NOT NULL DEFAULT '',
  ethnicity_code VARCHAR(8) NOT NULL DEFAULT '',
  ethnicity VARCHAR(32) NOT NULL DEFAULT '',
  political_status_code VARCHAR(8) NOT NULL DEFAULT '',
  political_status VARCHAR(32) NOT NULL DEFAULT '',
  school_code CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  school_name VARCHAR(128) NOT NULL DEFAULT '',
  branch_school_name VARCHAR(128) NOT NULL DEFAULT '',
  education_level_code VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  education_level VARCHAR(32) NOT NULL DEFAULT '',
  major_code VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  major_name VARCHAR(128) NOT NULL DEFAULT '',
  major_direction VARCHAR(128) NOT NULL DEFAULT '',
  training_mode_code VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  training_mode VARCHAR(32) NOT NULL DEFAULT '',
  sponsoring_unit VARCHAR(200) NOT NULL DEFAULT '',
  origin_code VARCHAR(12) NOT NULL DEFAULT '',
  origin VARCHAR(128) NOT NULL DEFAULT '',
  urban_or_rural_origin VARCHAR(16) NOT NULL DEFAULT '',
  schooling_length VARCHAR(8) NOT NULL DEFAULT '',
  enrolled_at VARCHAR(16) NOT NULL DEFAULT '',
  graduation_date VARCHAR(16) NOT NULL DEFAULT '',
  normal_student_category_code VARCHAR(8) NOT NULL DEFAULT '',
  normal_student_category VARCHAR(32) NOT NULL DEFAULT '',
  difficulty_category_code VARCHAR(8) NOT NULL DEFAULT '',
  difficulty_category VARCHAR(32) NOT NULL DEFAULT '',
  -- Compared byte for byte, as department accounts must match it character for character.
  department VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  class_name VARCHAR(128) NOT NULL DEFAULT '',
  student_number VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  birth_date VARCHAR(16) NOT NULL DEFAULT '',
  agreement_number VARCHAR(64) NOT NULL DEFAULT '',
  household_police_station VARCHAR(200) NOT NULL DEFAULT '',
  archive_transferred_to_school VARCHAR(8) NOT NULL DEFAULT '',
  household_transferred_to_school VARCHAR(8) NOT NULL DEFAULT '',
  phone VARCHAR(32) NOT NULL DEFAULT '',
  email VARCHAR(128) NOT NULL DEFAULT '',
  parent_name VARCHAR(64) NOT NULL DEFAULT '',
  home_address VARCHAR(255) NOT NULL DEFAULT '',
  home_phone VARCHAR(32) NOT NULL DEFAULT '',
  home_postal_code VARCHAR(16) NOT NULL DEFAULT '',
  -- SHA-256 of the record (libs/roster Fingerprint) and the class year: a re-import that changes
  -- neither changes no row.
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- 1 ACTIVE, 2 INVALIDATED (quxiang.sync.v1.GraduateState).
  state TINYINT NOT NULL,
  invalidated_at DATETIME(6) NULL,
  -- Set while invalidated once the EMS sent the graduate again: the automatic restore time.
  restore_due_at DATETIME(6) NULL,
  -- The EMS sequence of the last roster change that changed the row.
  roster_sequence BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_graduates_school_id_number (school_id, id_number),
  KEY ix_graduates_student_number (school_id, student_number, state),
  KEY ix_graduates_list_department (school_id, class_year, state, department, id),
  KEY ix_graduates_list_major (school_id, class_year, state, major_code, department, id),
  KEY ix_graduates_list_education (school_id, class_year, state, education_level_code, department, id),
  KEY ix_graduates_list_training (school_id, class_year, state, training_mode_code, department, id),
  KEY ix_graduates_name (school_id, class_year, state, name),
  KEY ix_graduates_restore_due (state, restore_due_at)
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
  -- The client's idempotency key of the change; empty for reads such as a revealed ID number.
  request_id VARCHAR(128) NOT NULL DEFAULT '',
  -- The x-request-id of the call, for finding its log lines.
  trace_id VARCHAR(64) NOT NULL DEFAULT '',
  peer VARCHAR(128) NOT NULL DEFAULT '',
  KEY ix_audit_school (school_id, id),
  KEY ix_audit_target (target_type, target_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
