-- What accounts keeps about a graduate's login beyond the users row: the graduate's name and a
-- keyed digest of its resident ID number (HMAC-SHA256 with --graduate_identity_key_file), which
-- the activation checks. The ID number itself is not stored here.
CREATE TABLE graduate_identities (
  user_id BIGINT NOT NULL PRIMARY KEY,
  graduate_id VARCHAR(64) NOT NULL,
  school_id BIGINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  id_number_digest CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- Set when the graduate chose its first password.
  activated_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_graduate_identities_graduate (graduate_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
