using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;

namespace SecondServer.Infrastructure.Storage;

/// <summary>The shared S3-compatible object store (MinIO under the AppHost, s3rver locally, AWS S3 in production).</summary>
internal sealed partial class StorageOptions
{
    public const string Section = "Storage";
    public const string ExpectedFormat = "Endpoint=http(s)://host:port;AccessKey=<key>;SecretKey=<secret>";

    /// <summary>From <c>ConnectionStrings:uploads</c> (the MinIO resource's format).</summary>
    public string? ConnectionString { get; set; }

    public string Bucket { get; set; } = "uploads";

    /// <summary>Signing region; any value works for MinIO and s3rver, AWS needs the bucket's region.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Optional CDN base URL (e.g. https://cdn.example.com) in front of the bucket for public objects.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// Optional address at which browsers reach the store's objects (e.g. the balancer, which forwards presigned
    /// GETs of the bucket's objects to a private store): presigned URLs are made for it instead of the endpoint.
    /// Scheme, host and port only: a SigV4 signature covers host and path, so the path must reach the store unchanged.
    /// </summary>
    public Uri? PublicEndpoint { get; set; }

    public Uri Endpoint => new(Part("Endpoint")!);

    public string AccessKey => Part("AccessKey")!;

    public string SecretKey => Part("SecretKey")!;

    internal string? Part(string name)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
        return builder.TryGetValue(name, out var value) ? value?.ToString() : null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    internal static partial Regex BucketName();
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var key = ConnectionStringKeys.PathOf(ConnectionStringKeys.Storage);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{key} is missing; expected {StorageOptions.ExpectedFormat}.");
        }

        try
        {
            var missing = new[] { "Endpoint", "AccessKey", "SecretKey" }.Where(p => string.IsNullOrWhiteSpace(options.Part(p))).ToList();
            if (missing.Count > 0)
            {
                return ValidateOptionsResult.Fail($"{key} lacks {string.Join(", ", missing)}; expected {StorageOptions.ExpectedFormat}.");
            }

            if (!Uri.TryCreate(options.Part("Endpoint"), UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                return ValidateOptionsResult.Fail($"{key} has an Endpoint that is not an http(s) URL; expected {StorageOptions.ExpectedFormat}.");
            }
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{key} is malformed ({ex.Message}); expected {StorageOptions.ExpectedFormat}.");
        }

        if (!StorageOptions.BucketName().IsMatch(options.Bucket))
        {
            return ValidateOptionsResult.Fail($"{StorageOptions.Section}:Bucket '{options.Bucket}' is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens).");
        }

        if (options.PublicBaseUrl is { IsAbsoluteUri: false })
        {
            return ValidateOptionsResult.Fail($"{StorageOptions.Section}:PublicBaseUrl must be an absolute URL.");
        }

        return options.PublicEndpoint is { } endpointForBrowsers && !IsOrigin(endpointForBrowsers)
            ? ValidateOptionsResult.Fail($"{StorageOptions.Section}:PublicEndpoint '{endpointForBrowsers}' must be an http(s) URL of scheme, host and port only (e.g. https://www.example.com).")
            : ValidateOptionsResult.Success;
    }

    private static bool IsOrigin(Uri uri) =>
        uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.AbsolutePath == "/"
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo);
}
