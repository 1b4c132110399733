-- Jobs that ran out of attempts or could not be read (rule 4). One row per job: a job that fails again after a
-- retry replaces its row. The payload is the envelope exactly as it was queued, so a retry puts back the same job.
CREATE TABLE IF NOT EXISTS failed_jobs (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job_id     VARCHAR(64)  NOT NULL,
    queue      VARCHAR(64)  NOT NULL,
    job_type   VARCHAR(200) NOT NULL,
    payload    LONGTEXT     NOT NULL,
    exception  LONGTEXT     NOT NULL,
    attempts   INT          NOT NULL,
    failed_at  DATETIME(6)  NOT NULL,
    failed_by  VARCHAR(190) NOT NULL,
    UNIQUE KEY ux_failed_jobs_job_id (job_id),
    KEY ix_failed_jobs_queue_id (queue, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
