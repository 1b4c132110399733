namespace SecondServer.Web.Doctor;

/// <summary>The seven rules in order, and how a verdict is printed.</summary>
internal static class DoctorRules
{
    public static IReadOnlyList<IDoctorRule> All { get; } =
    [
        new BalancerRule(),
        new SourceOfTruthRule(),
        new UploadsRule(),
        new QueueWorkersRule(),
        new ScheduleOnceRule(),
        new RollingDeployRule(),
        new NetworkSecurityRule(),
    ];

    /// <summary>"PASS  rule 2  one source of truth  evidence" or "FAIL  rule 2  ...  evidence  fix: ...".</summary>
    public static string Line(IDoctorRule rule, RuleResult result) =>
        result.Passed
            ? $"PASS  rule {rule.Number}  {rule.Title}  {result.Evidence}"
            : $"FAIL  rule {rule.Number}  {rule.Title}  {result.Evidence}  fix: {result.Fix}";
}
