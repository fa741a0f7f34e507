-- Accounts: provinces, schools, departments, employers, users, sessions and the audit log.
-- Instants are DATETIME(6) in UTC; every table is utf8mb4 so names outside the BMP fit.

CREATE TABLE provinces (
  code CHAR(2) NOT NULL PRIMARY KEY,
  name VARCHAR(32) NOT NULL,
  employment_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  archive_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  household_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  agreement_type TINYINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE schools (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code CHAR(10) NOT NULL,
  name VARCHAR(128) NOT NULL,
  province_code CHAR(2) NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_schools_code (code),
  KEY ix_schools_province (province_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Department names are compared byte for byte in code; the unique key (a PAD SPACE collation)
-- also keeps "文学院" and "文学院 " from both being stored.
CREATE TABLE departments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  school_id BIGINT NOT NULL,
  name VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_departments_school_name (school_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE employers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  credit_code CHAR(18) NOT NULL,
  name VARCHAR(200) NOT NULL,
  contact_name VARCHAR(64) NOT NULL DEFAULT '',
  contact_phone VARCHAR(32) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_employers_credit_code (credit_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  display_name VARCHAR(64) NOT NULL,
  kind TINYINT NOT NULL,
  province_code CHAR(2) NULL,
  school_id BIGINT NULL,
  department_id BIGINT NULL,
  employer_id BIGINT NULL,
  graduate_id VARCHAR(64) NULL,
  phone VARCHAR(32) NOT NULL DEFAULT '',
  state TINYINT NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  failed_logins INT NOT NULL DEFAULT 0,
  locked_until DATETIME(6) NULL,
  grant_employment TINYINT NOT NULL,
  grant_archive TINYINT NOT NULL,
  grant_household TINYINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_users_username (username),
  KEY ix_users_school (school_id, kind, id),
  KEY ix_users_department (school_id, department_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A browser session. The token itself is never stored, only its SHA-256.
CREATE TABLE sessions (
  id CHAR(32) NOT NULL PRIMARY KEY,
  user_id BIGINT NOT NULL,
  token_hash CHAR(64) NOT NULL,
  csrf_token VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_seen_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  UNIQUE KEY uk_sessions_token (token_hash),
  KEY ix_sessions_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  occurred_at DATETIME(6) NOT NULL,
  actor_user_id BIGINT NULL,
  actor_username VARCHAR(64) NOT NULL DEFAULT '',
  actor_kind TINYINT NOT NULL DEFAULT 0,
  school_id BIGINT NULL,
  province_code CHAR(2) NULL,
  action VARCHAR(64) NOT NULL,
  target_type VARCHAR(32) NOT NULL,
  target_id VARCHAR(64) NOT NULL DEFAULT '',
  before_json TEXT NULL,
  after_json TEXT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  request_id VARCHAR(64) NOT NULL DEFAULT '',
  peer VARCHAR(128) NOT NULL DEFAULT '',
  KEY ix_audit_school (school_id, id),
  KEY ix_audit_target (target_type, target_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
