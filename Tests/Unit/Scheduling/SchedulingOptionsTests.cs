using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Tests.Unit.Scheduling;

public sealed class SchedulingOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new SchedulingOptionsValidator().Validate(null, new SchedulingOptions()).Succeeded);
    }

    [Fact]
    public void A_slot_claim_outlives_every_servers_try_at_the_slot()
    {
        var options = new SchedulingOptions { GraceWindow = TimeSpan.FromSeconds(30), MaxClockSkew = TimeSpan.FromSeconds(5) };

        // The earliest clock tries at T - skew, the latest up to T + grace (its own clock) + skew later.
        Assert.Equal(TimeSpan.FromSeconds(40), options.SlotClaimTtl);
    }

    [Theory]
    [InlineData("00:00:30", "00:00:20", "OverlapRenewInterval must be at least 00:00:00.1 and at most half of Scheduling:OverlapLeaseTtl")]
    [InlineData("00:00:00.5", "00:00:00.1", "Scheduling:OverlapLeaseTtl must be between")]
    public void A_lease_that_could_lapse_between_renewals_is_refused(string ttl, string renew, string expected)
    {
        var options = new SchedulingOptions { OverlapLeaseTtl = TimeSpan.Parse(ttl, null), OverlapRenewInterval = TimeSpan.Parse(renew, null) };

        var result = new SchedulingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_bad_setting_is_named()
    {
        var options = new SchedulingOptions { GraceWindow = TimeSpan.Zero, MaxClockSkew = TimeSpan.FromHours(1), HistoryRetentionDays = 0 };

        var result = new SchedulingOptionsValidator().Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
        Assert.Contains("Scheduling:GraceWindow", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Scheduling:MaxClockSkew", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Scheduling:HistoryRetentionDays", result.FailureMessage, StringComparison.Ordinal);
    }
}
