using System.Text.Json;
using System.Text.Json.Serialization;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// What travels through Redis for one job: the job's JSON under a small, versionless header.
/// </summary>
/// <remarks>
/// <see cref="Attempts"/> is 0 as stored: the live count sits beside the envelope in a Redis hash (HINCRBY at each
/// reservation) so reserving never has to decode and re-encode the payload inside Lua. The envelope a handler,
/// a log line or a failed_jobs row sees carries the live count.
/// </remarks>
internal sealed record JobEnvelope
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    public required string Queue { get; init; }

    public required JsonElement Payload { get; init; }

    public int Attempts { get; init; }

    public required DateTimeOffset EnqueuedAt { get; init; }

    public required DateTimeOffset AvailableAt { get; init; }

    /// <summary>W3C trace context of the dispatching span, so the handler's span joins the request's trace.</summary>
    [JsonPropertyName("traceparent")]
    public string? TraceParent { get; init; }

    /// <summary>For unique jobs: the id their uniqueness lock is keyed by.</summary>
    public string? UniqueId { get; init; }

    public string Serialize() => JsonSerializer.Serialize(this, EnvelopeJson.Default.JobEnvelope);

    /// <summary>Reads an envelope; the reason is set instead when the text is not one.</summary>
    public static JobEnvelope? TryParse(string json, out string? reason)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize(json, EnvelopeJson.Default.JobEnvelope);
            reason = envelope is null ? "The envelope is JSON null." : null;
            return envelope;
        }
        catch (JsonException ex)
        {
            reason = $"The envelope is not valid job JSON: {ex.Message}";
            return null;
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobEnvelope))]
internal sealed partial class EnvelopeJson : JsonSerializerContext;
