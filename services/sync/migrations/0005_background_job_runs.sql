-- The end of the last run of each background job, whichever replica ran it. A replica that takes
-- a job's named lock runs the job only when its interval has passed since this time, so more
-- replicas do not run a job more often (services/sync/job_lock.h).
CREATE TABLE background_job_runs (
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  finished_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
