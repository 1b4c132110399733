using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;
using StackExchange.Redis;

namespace SecondServer.AppHost.Servers;

/// <summary>
/// The dashboard's health of each server, checked the way the services will use it: Redis answers PING with the
/// password, MySQL runs <c>SELECT 1</c> as the app's user in the app's database, the S3 server answers HTTP.
/// Services wait for these before they start, so a service never starts against a server still initialising.
/// </summary>
internal static class ServerHealthChecks
{
    public static IResourceBuilder<T> WithRedisHealthCheck<T>(this IResourceBuilder<T> server)
        where T : IResourceWithConnectionString
    {
        var name = $"{server.Resource.Name}_ping";
        server.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(name, _ => new RedisCheck(server.Resource), null, null, TimeSpan.FromSeconds(3)));
        return server.WithHealthCheck(name);
    }

    public static IResourceBuilder<T> WithMySqlHealthCheck<T>(this IResourceBuilder<T> server)
        where T : IResourceWithConnectionString
    {
        var name = $"{server.Resource.Name}_select";
        server.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(name, _ => new MySqlCheck(server.Resource), null, null, TimeSpan.FromSeconds(3)));
        return server.WithHealthCheck(name);
    }

    public static IResourceBuilder<T> WithS3HealthCheck<T>(this IResourceBuilder<T> server, EndpointReference endpoint)
        where T : IResource
    {
        var name = $"{server.Resource.Name}_http";
        server.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(name, _ => new AnswersHttpCheck(endpoint), null, null, TimeSpan.FromSeconds(3)));
        return server.WithHealthCheck(name);
    }

    private sealed class RedisCheck(IResourceWithConnectionString server) : IHealthCheck, IDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private ConnectionMultiplexer? _connection;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_connection is null)
                {
                    var options = ConfigurationOptions.Parse(await ConnectionStringAsync(server, cancellationToken).ConfigureAwait(false));
                    options.AbortOnConnectFail = true;
                    options.ConnectTimeout = 2000;
                    _connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
                }

                await _connection.GetDatabase().PingAsync().ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
            finally
            {
                _gate.Release();
            }
        }

        public void Dispose()
        {
            _connection?.Dispose();
            _gate.Dispose();
        }
    }

    private sealed class MySqlCheck(IResourceWithConnectionString server) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var builder = new MySqlConnectionStringBuilder(await ConnectionStringAsync(server, cancellationToken).ConfigureAwait(false))
                {
                    ConnectionTimeout = 2,
                    Pooling = false,
                };
                await using var connection = new MySqlConnection(builder.ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new MySqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (MySqlException ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        }
    }

    private sealed class AnswersHttpCheck(EndpointReference endpoint) : IHealthCheck
    {
        private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(2) };

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                // An unsigned request: both MinIO and the project's S3 server refuse it (403), which proves they serve S3.
                using var response = await Client.GetAsync(new Uri(endpoint.Url), cancellationToken).ConfigureAwait(false);
                return (int)response.StatusCode < 500
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"answered {(int)response.StatusCode}");
            }
            catch (HttpRequestException ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        }
    }

    private static async Task<string> ConnectionStringAsync(IResourceWithConnectionString server, CancellationToken cancellationToken) =>
        await server.GetConnectionStringAsync(cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"{server.Name} has no connection string yet");
}
