-- The offline list's state filters (a school's records in one phase and review state, newest
-- first) read their count and their page's ids from this index alone. ix_offline_agreements_review
-- has the department between the state and the id, so without a department the ids would need a
-- sort.
ALTER TABLE offline_agreements ADD KEY ix_offline_agreements_state (school_id, phase, review_state, id);
