-- Responses of mutating RPCs, keyed by the client's request_id, so that a repeated request gets
-- the first response and changes nothing (libs/db/idempotency.h). The key columns compare
-- bytes (utf8mb4_bin), so request ids that differ only in letter case stay distinct keys.
CREATE TABLE idempotency_keys (
  scope VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  method VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- Hex SHA-256 of the deterministic serialization of the request.
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The serialized response message; NULL only inside the transaction that inserted the key.
  response LONGBLOB NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (scope, method, request_id),
  KEY idx_idempotency_keys_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
