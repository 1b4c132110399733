namespace SecondServer.Web.Doctor;

/// <summary>Rule 3: every instance stores uploads in the same S3 endpoint and bucket, never on its own disk.</summary>
internal sealed class UploadsRule : IDoctorRule
{
    private static readonly Facet[] All =
    [
        new("S3 endpoint", f => f.Storage.Endpoint, "give every instance the same ConnectionStrings:uploads"),
        new("bucket", f => f.Storage.Bucket, "give every instance the same Storage:Bucket"),
    ];

    public int Number => 3;

    public string Title => "uploads in S3";

    public RuleResult Check(ClusterObservation cluster) =>
        Agreement.Check(cluster.Instances, All, f => $"S3 {f.Storage.Endpoint} bucket {f.Storage.Bucket}");
}
