using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Resilience;

namespace SecondServer.Infrastructure.Storage;

/// <summary>
/// Creates the bucket if it is missing. Every replica races to do it at boot; "already owned by you" counts as
/// success. While the store is unreachable it retries in the background and readiness says so.
/// </summary>
internal sealed class BucketInitializer(IAmazonS3 s3, IOptions<StorageOptions> options, TimeProvider time, ILogger<BucketInitializer> logger) : BackgroundService
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        var bucket = options.Value.Bucket;
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
            logger.LogInformation("Created bucket {Bucket}", bucket);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists" || ex.StatusCode == HttpStatusCode.Conflict)
        {
            // Another replica (or an earlier run) created it.
        }

        _ready = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EnsureBucketAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Bucket {Bucket} at {Endpoint} is not available yet: {Error}; retrying in {Delay}", options.Value.Bucket, options.Value.Endpoint, ex.Message, backoff.Next);
                await backoff.WaitAsync(stoppingToken);
            }
        }
    }
}

internal sealed class S3HealthCheck(IAmazonS3 s3, IOptions<StorageOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        try
        {
            await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = o.Bucket, MaxKeys = 1 }, cancellationToken);
            return HealthCheckResult.Healthy($"Bucket {o.Bucket} at {o.Endpoint} answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Bucket {o.Bucket} at {o.Endpoint} is unavailable: {ex.Message}");
        }
    }
}
