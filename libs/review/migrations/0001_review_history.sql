-- Every action of the review engine (libs/review) on a record of any flow of the service: who
-- acted, at which stage, the state before and after, and the reason. Rows are only inserted,
-- never changed, so the table is the review part of the audit trail. Instants are UTC.
CREATE TABLE review_history (
  id BIGINT NOT NULL AUTO_INCREMENT,
  -- The flow's name, for example "signing.paper_registration"; a flow's records live in one table.
  flow VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  record_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- The record's version after the action. One action per version, so that a second writer of
  -- the same version fails on the unique key even if its conditional update did not stop it.
  version BIGINT NOT NULL,
  -- SUBMIT, APPROVE, RETURN, REJECT, WITHDRAW, RESUBMIT, MODIFY or VOID.
  action VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The stage the record waited at when the action was taken: DEPARTMENT, SCHOOL or ''.
  stage VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  from_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_stage VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- SCHOOL, DEPARTMENT, GRADUATE, EMPLOYER or OTHER.
  actor_kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reviewer_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  reviewer_name VARCHAR(128) NOT NULL DEFAULT '',
  -- The reject reason code; empty for the other actions.
  reason_code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  detail VARCHAR(500) NOT NULL DEFAULT '',
  -- The client's idempotency key, so that a repeated request finds its first result. NULL when
  -- the request had none (a unique key allows many NULLs).
  request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  occurred_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_review_history_version (flow, record_id, version),
  UNIQUE KEY uk_review_history_request (flow, record_id, request_id),
  KEY ix_review_history_reviewer (reviewer_id, occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
