namespace SecondServer.Infrastructure.Diagnostics.Probes;

/// <summary>How a probe's failure reads as evidence: a bound that ran out says so, anything else by its root cause.</summary>
internal static class ProbeFailure
{
    public static string Describe(Exception exception) => exception switch
    {
        OperationCanceledException or TimeoutException => "no answer in time",
        _ => exception.GetBaseException().Message,
    };
}
