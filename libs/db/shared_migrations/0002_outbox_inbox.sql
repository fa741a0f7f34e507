-- Transactional outbox: a state change writes its event here in the same transaction, and a
-- relay sends unsent events in id order, at least once, and sets sent_at.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT,
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  aggregate_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  aggregate_version BIGINT NOT NULL,
  type VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The serialized event envelope.
  payload LONGBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  sent_at DATETIME(6) NULL,
  attempts INT NOT NULL DEFAULT 0,
  -- The earliest time of the next delivery attempt, pushed back after each failure.
  next_attempt_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_outbox_event_id (event_id),
  -- The relay's scan: unsent events in id order.
  KEY idx_outbox_unsent (sent_at, id),
  KEY idx_outbox_aggregate (aggregate_id, aggregate_version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events a consumer has applied, recorded in the same transaction as their effect, so that a
-- redelivered event changes nothing.
CREATE TABLE inbox (
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  processed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
