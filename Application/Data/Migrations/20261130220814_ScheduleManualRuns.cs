using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecondServer.Application.Data.Migrations
{
    /// <summary>
    /// Who asked for a manual run ("run now") of a schedule. Additive: the previous release names its columns when it
    /// writes and reads <c>schedule_runs</c>, so it runs beside this one, and its rows read as scheduled runs.
    /// </summary>
    public partial class ScheduleManualRuns : Migration
    {
        /// <summary>This migration's id in <c>__EFMigrationsHistory</c>.</summary>
        public const string Id = "20261130220814_ScheduleManualRuns";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "requested_by",
                table: "schedule_runs",
                type: "varchar(190)",
                maxLength: 190,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "requested_by",
                table: "schedule_runs");
        }
    }
}
