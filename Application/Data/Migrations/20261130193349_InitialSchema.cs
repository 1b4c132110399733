using System;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecondServer.Application.Data.Migrations
{
    /// <summary>
    /// The schema of the last SQL-file release, exactly (names, types, charsets, collations, indexes): a database that
    /// release made is baselined to this migration instead of running it (see <see cref="SqlFileRelease"/>). On a fresh
    /// database it also writes that release's record of its files, so that release, still running or restarted during
    /// a rolling deploy, finds nothing to apply.
    /// </summary>
    public partial class InitialSchema : Migration
    {
        /// <summary>This migration's id in <c>__EFMigrationsHistory</c>.</summary>
        public const string Id = "20261130193349_InitialSchema";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "accounts",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    email = table.Column<string>(type: "varchar(254)", maxLength: 254, nullable: false),
                    email_normalized = table.Column<string>(type: "varchar(254)", maxLength: 254, nullable: false),
                    display_name = table.Column<string>(type: "varchar(100)", maxLength: 100, nullable: false),
                    password_hash = table.Column<string>(type: "varchar(400)", maxLength: 400, nullable: false),
                    picture_key = table.Column<string>(type: "varchar(300)", maxLength: 300, nullable: true),
                    created_at = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    updated_at = table.Column<DateTime>(type: "datetime(6)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_accounts", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4")
                .Annotation("Relational:Collation", "utf8mb4_unicode_ci");

            migrationBuilder.CreateTable(
                name: "failed_jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    job_id = table.Column<string>(type: "varchar(64)", maxLength: 64, nullable: false),
                    queue = table.Column<string>(type: "varchar(64)", maxLength: 64, nullable: false),
                    job_type = table.Column<string>(type: "varchar(200)", maxLength: 200, nullable: false),
                    payload = table.Column<string>(type: "longtext", nullable: false),
                    exception = table.Column<string>(type: "longtext", nullable: false),
                    attempts = table.Column<int>(type: "int", nullable: false),
                    failed_at = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    failed_by = table.Column<string>(type: "varchar(190)", maxLength: 190, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_failed_jobs", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4")
                .Annotation("Relational:Collation", "utf8mb4_bin");

            migrationBuilder.CreateTable(
                name: "queue_probe_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    job_id = table.Column<string>(type: "varchar(64)", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "varchar(100)", maxLength: 100, nullable: false),
                    attempt = table.Column<int>(type: "int", nullable: false),
                    instance = table.Column<string>(type: "varchar(190)", maxLength: 190, nullable: false),
                    started_at = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    finished_at = table.Column<DateTime>(type: "datetime(6)", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_queue_probe_runs", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4")
                .Annotation("Relational:Collation", "utf8mb4_bin");

            migrationBuilder.CreateTable(
                name: "schedule_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    job = table.Column<string>(type: "varchar(100)", maxLength: 100, nullable: false),
                    slot = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    instance = table.Column<string>(type: "varchar(190)", maxLength: 190, nullable: false),
                    started_at = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    finished_at = table.Column<DateTime>(type: "datetime(6)", nullable: true),
                    status = table.Column<string>(type: "varchar(32)", maxLength: 32, nullable: false),
                    error = table.Column<string>(type: "text", nullable: true),
                    claimed_slot = table.Column<DateTime>(type: "datetime(6)", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_schedule_runs", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4")
                .Annotation("Relational:Collation", "utf8mb4_bin");

            migrationBuilder.CreateTable(
                name: "reports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "char(36)", nullable: false),
                    status = table.Column<string>(type: "varchar(16)", maxLength: 16, nullable: false),
                    object_key = table.Column<string>(type: "varchar(300)", maxLength: 300, nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    requested_by = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    started_at = table.Column<DateTime>(type: "datetime(6)", nullable: true),
                    finished_at = table.Column<DateTime>(type: "datetime(6)", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reports", x => x.id);
                    table.ForeignKey(
                        name: "fk_reports_requested_by",
                        column: x => x.requested_by,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                })
                .Annotation("MySql:CharSet", "utf8mb4")
                .Annotation("Relational:Collation", "utf8mb4_unicode_ci");

            migrationBuilder.CreateIndex(
                name: "ux_accounts_email",
                table: "accounts",
                column: "email_normalized",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_failed_jobs_queue_id",
                table: "failed_jobs",
                columns: new[] { "queue", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_failed_jobs_job_id",
                table: "failed_jobs",
                column: "job_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_queue_probe_runs_job_id",
                table: "queue_probe_runs",
                column: "job_id");

            migrationBuilder.CreateIndex(
                name: "ix_queue_probe_runs_label",
                table: "queue_probe_runs",
                column: "label");

            migrationBuilder.CreateIndex(
                name: "ix_reports_requested_by",
                table: "reports",
                column: "requested_by");

            migrationBuilder.CreateIndex(
                name: "ix_schedule_runs_job_slot",
                table: "schedule_runs",
                columns: new[] { "job", "slot" });

            migrationBuilder.CreateIndex(
                name: "ix_schedule_runs_slot",
                table: "schedule_runs",
                column: "slot");

            migrationBuilder.CreateIndex(
                name: "ux_schedule_runs_claimed",
                table: "schedule_runs",
                columns: new[] { "job", "claimed_slot" },
                unique: true);

            SqlFileRelease.Baseline.RecordSqlMigrationsAsApplied(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            SqlFileRelease.Baseline.ForgetSqlMigrations(migrationBuilder);

            migrationBuilder.DropTable(
                name: "failed_jobs");

            migrationBuilder.DropTable(
                name: "queue_probe_runs");

            migrationBuilder.DropTable(
                name: "reports");

            migrationBuilder.DropTable(
                name: "schedule_runs");

            migrationBuilder.DropTable(
                name: "accounts");
        }
    }
}
