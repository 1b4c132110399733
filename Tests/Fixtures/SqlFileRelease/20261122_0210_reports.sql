-- Report jobs (rule 4): their status lives here, not in the queue, so it survives restarts of Redis and of the
-- workers, and every replica answers the same. The object key is set when the CSV is in S3.
CREATE TABLE IF NOT EXISTS reports (
    id           CHAR(36)     NOT NULL PRIMARY KEY,
    status       VARCHAR(16)  NOT NULL,
    object_key   VARCHAR(300) NULL,
    error        TEXT         NULL,
    requested_by BIGINT       NULL,
    created_at   DATETIME(6)  NOT NULL,
    started_at   DATETIME(6)  NULL,
    finished_at  DATETIME(6)  NULL,
    KEY ix_reports_requested_by (requested_by),
    CONSTRAINT fk_reports_requested_by FOREIGN KEY (requested_by) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
