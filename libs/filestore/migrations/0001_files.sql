-- Uploaded files of the service (libs/filestore): one metadata row per file, its content in
-- chunks, and one row per download. Instants are UTC.
CREATE TABLE stored_files (
  -- 32 lowercase hex digits from a cryptographic random source, so that ids cannot be guessed.
  id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  school_id BIGINT NOT NULL,
  -- The record the file supports, in the owning service, for example
  -- ("signing.paper_registration", "1234").
  record_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  record_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- image/jpeg, image/png or application/pdf, recognised from the content.
  content_type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chunk_count INT NOT NULL,
  -- The client's file name after SanitizeFileName. It is never used as a path.
  original_name VARCHAR(255) NOT NULL DEFAULT '',
  created_by VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at DATETIME(6) NOT NULL,
  -- Set when the file was deleted. Its chunks are gone then, and this row stays for the audit.
  deleted_at DATETIME(6) NULL,
  deleted_by VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  PRIMARY KEY (id),
  KEY ix_stored_files_record (school_id, record_type, record_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The content of a file in chunks of at most the store's chunk size (256 KiB by default), so
-- that no statement or result row needs a packet near max_allowed_packet.
CREATE TABLE stored_file_chunks (
  file_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- 0, 1, 2, ... in file order.
  seq INT NOT NULL,
  data MEDIUMBLOB NOT NULL,
  PRIMARY KEY (file_id, seq)
) ENGINE=InnoDB;

-- Every download of a file's content: who, when and which file. Rows are only inserted.
CREATE TABLE stored_file_downloads (
  id BIGINT NOT NULL AUTO_INCREMENT,
  file_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  school_id BIGINT NOT NULL,
  record_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  record_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  actor_user_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  actor_username VARCHAR(64) NOT NULL DEFAULT '',
  -- The x-request-id of the call, for finding its log lines.
  trace_id VARCHAR(64) NOT NULL DEFAULT '',
  peer VARCHAR(128) NOT NULL DEFAULT '',
  downloaded_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_stored_file_downloads_file (file_id, id),
  KEY ix_stored_file_downloads_school (school_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
