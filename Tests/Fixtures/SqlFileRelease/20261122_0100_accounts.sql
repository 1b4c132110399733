-- Accounts (rule 2: one source of truth). Emails are stored as typed and normalized for uniqueness.
CREATE TABLE IF NOT EXISTS accounts (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email            VARCHAR(254) NOT NULL,
    email_normalized VARCHAR(254) NOT NULL,
    display_name     VARCHAR(100) NOT NULL,
    password_hash    VARCHAR(400) NOT NULL,
    picture_key      VARCHAR(300) NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    UNIQUE KEY ux_accounts_email (email_normalized)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
