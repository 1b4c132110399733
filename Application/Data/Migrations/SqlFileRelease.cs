using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Application.Data.Migrations;

/// <summary>
/// The last release that kept the schema with plain SQL files: the files it recorded in <c>schema_migrations</c>, with
/// the SHA-256 of each file's text as it recorded it. <see cref="InitialSchema"/> creates exactly what they created.
/// </summary>
internal static class SqlFileRelease
{
    public static readonly SchemaBaseline Baseline = new(InitialSchema.Id, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["20261122_0100_accounts"] = "3c1b1a199d26c10b40fc1581517d6ecb12d42b2fdf383dd6e8d2ffb385cad513",
        ["20261122_0200_failed_jobs"] = "4609df5dd495f1b2a6ec585fb5f38469b8315993352c1bf5f37d4da7d94a971e",
        ["20261122_0210_reports"] = "2fbb814e5cbf783f23d93d33ab1636bf07de175e067712ad99dce4e9be51fbd2",
        ["20261122_0220_queue_probe_runs"] = "9697652c6d7bf801f798c8cbcb4d2826b8b12368fbdcb2a7baf0facabe919dbc",
        ["20261122_0300_schedule_runs"] = "bd556bff746462111561ceced86ecf67fb9557b65b464c0b518d89029aeb9597",
    });
}
