-- Runs of the queue probe job: which worker ran which delivery of a probe, from when to when. Operators read it to
-- check the pipeline end to end; the process-level queue tests read it to see what a real Worker did.
CREATE TABLE IF NOT EXISTS queue_probe_runs (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job_id      VARCHAR(64)  NOT NULL,
    label       VARCHAR(100) NOT NULL,
    attempt     INT          NOT NULL,
    instance    VARCHAR(190) NOT NULL,
    started_at  DATETIME(6)  NOT NULL,
    finished_at DATETIME(6)  NULL,
    KEY ix_queue_probe_runs_label (label),
    KEY ix_queue_probe_runs_job_id (job_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
