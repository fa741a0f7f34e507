-- Every export and download of a table (libs/export): who exported what, with which filter, how
-- many rows, and whether ID numbers and phone numbers were masked. libs/export only inserts
-- rows and never changes or deletes them. Instants are UTC.
CREATE TABLE export_audit (
  id BIGINT NOT NULL AUTO_INCREMENT,
  -- The export's stable identifier, for example "sync.graduates.query".
  kind VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The Chinese title, for example 下载当前查询数据.
  title VARCHAR(128) NOT NULL,
  -- CSV or XLSX.
  format VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  actor_name VARCHAR(128) NOT NULL DEFAULT '',
  school_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  filter_summary VARCHAR(1000) NOT NULL DEFAULT '',
  row_count BIGINT NOT NULL,
  byte_count BIGINT NOT NULL,
  masked BOOLEAN NOT NULL,
  full_view BOOLEAN NOT NULL,
  started_at DATETIME(6) NOT NULL,
  -- NULL when the export failed before it was complete.
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_export_audit_school (school_id, started_at),
  KEY ix_export_audit_actor (actor_id, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
