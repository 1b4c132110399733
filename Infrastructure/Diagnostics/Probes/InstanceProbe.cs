using System.Net.Http.Json;
using System.Text.Json;

namespace SecondServer.Infrastructure.Diagnostics.Probes;

/// <summary>Asks one instance, at its private address, what it is wired to and whether it is ready.</summary>
internal interface IInstanceProbe
{
    /// <summary>The instance's <see cref="InstanceFingerprint"/>, or why there is none; never throws.</summary>
    Task<(InstanceFingerprint? Fingerprint, string? Error)> FingerprintAsync(Uri instance, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="readiness"/> answers 200, else its status and failing checks; never throws.</summary>
    Task<(bool Ready, string Readiness)> ReadinessAsync(Uri readiness, CancellationToken cancellationToken);
}

/// <summary>Through a client of <see cref="IHttpClientFactory"/> without retries: one answer, or none in time, is the evidence.</summary>
internal sealed class InstanceProbe(IHttpClientFactory clients) : IInstanceProbe
{
    public const string HttpClientName = "instance-probe";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<(InstanceFingerprint? Fingerprint, string? Error)> FingerprintAsync(Uri instance, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(new Uri(instance, DiagnosticsEndpoint.Path), cancellationToken);
            return response.IsSuccessStatusCode
                ? (await response.Content.ReadFromJsonAsync<InstanceFingerprint>(Json, cancellationToken), null)
                : (null, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, ProbeFailure.Describe(ex));
        }
    }

    public async Task<(bool Ready, string Readiness)> ReadinessAsync(Uri readiness, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(readiness, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (true, "200");
            }

            // The body names each check; the failing ones are what the reader needs.
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var failing = body.RootElement.GetProperty("checks").EnumerateArray()
                .Where(c => c.GetProperty("status").GetString() != "Healthy")
                .Select(c => $"{c.GetProperty("name").GetString()}: {c.GetProperty("description").GetString()}");
            return (false, $"{(int)response.StatusCode} {string.Join(", ", failing)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (false, ProbeFailure.Describe(ex));
        }
    }
}
