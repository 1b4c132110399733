-- Scheduler run history (rule 5): one row per slot per server that handled it, with what it did.
-- claimed_slot repeats slot only on runs that executed under OnOneServer. NULLs never collide in a unique index, so
-- skips and every-server schedules keep one row per server, while a second execution of one slot is refused here
-- even if its Redis claim was lost (a flush, a failover): a durable second guard.
CREATE TABLE IF NOT EXISTS schedule_runs (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job          VARCHAR(100) NOT NULL,
    slot         DATETIME(6)  NOT NULL,
    instance     VARCHAR(190) NOT NULL,
    started_at   DATETIME(6)  NOT NULL,
    finished_at  DATETIME(6)  NULL,
    status       VARCHAR(32)  NOT NULL,
    error        TEXT         NULL,
    claimed_slot DATETIME(6)  NULL,
    UNIQUE KEY ux_schedule_runs_claimed (job, claimed_slot),
    KEY ix_schedule_runs_job_slot (job, slot),
    KEY ix_schedule_runs_slot (slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
