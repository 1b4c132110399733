using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecondServer.Application.Data.Migrations
{
    /// <summary>
    /// Who asked for a manual run ("run now") of a schedule, and an index for each schedule's last failure. Additive:
    /// the previous release names its columns when it writes and reads <c>schedule_runs</c>, so it runs beside this
    /// one and its rows read as scheduled runs; InnoDB builds a secondary index online, its writes going on meanwhile.
    /// </summary>
    public partial class ScheduleManualRuns : Migration
    {
        /// <summary>This migration's id in <c>__EFMigrationsHistory</c>.</summary>
        public const string Id = "20261130224508_ScheduleManualRuns";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "requested_by",
                table: "schedule_runs",
                type: "varchar(190)",
                maxLength: 190,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_schedule_runs_job_status_slot",
                table: "schedule_runs",
                columns: new[] { "job", "status", "slot" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_schedule_runs_job_status_slot",
                table: "schedule_runs");

            migrationBuilder.DropColumn(
                name: "requested_by",
                table: "schedule_runs");
        }
    }
}
