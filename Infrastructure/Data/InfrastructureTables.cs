using Microsoft.EntityFrameworkCore;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Infrastructure.Data;

/// <summary>The building blocks' own tables, for the application's context to map, so one migrations history covers the whole schema.</summary>
internal static class InfrastructureTables
{
    public static ModelBuilder AddInfrastructureTables(this ModelBuilder model) =>
        model.ApplyConfiguration(new FailedJobRowConfiguration()).ApplyConfiguration(new ScheduleRunRowConfiguration());
}
