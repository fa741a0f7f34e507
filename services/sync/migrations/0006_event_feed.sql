-- The event feed that flow services poll (ListEvents). Outbox ids are allocated when a row is
-- inserted, not when its transaction commits, so a reader paging by id could pass an id whose
-- transaction commits later and never see that event. A feed sequence is therefore assigned
-- after commit, by one sequencing transaction at a time (they serialize on the counter row),
-- so every event that a reader can see has a higher sequence than every event seen before it.
ALTER TABLE outbox
  ADD COLUMN feed_sequence BIGINT NULL,
  -- Also serves the sequencer's scan of unsequenced rows (NULL) in id order.
  ADD UNIQUE KEY uk_outbox_feed_sequence (feed_sequence);

CREATE TABLE event_feed_counter (
  id TINYINT NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO event_feed_counter (id, last_sequence) VALUES (1, 0);
