-- The review list's default filter (a school's records in one review state, newest first) reads
-- its count and its page's ids from this index alone. ix_online_signings_review serves the same
-- filter with a department, but without one its department column sits between the state and
-- the id, so the ids would need a sort.
ALTER TABLE online_signings ADD KEY ix_online_signings_state (school_id, review_state, id);
