namespace SecondServer.AppHost.Servers;

/// <summary>
/// The servers' credentials as Aspire parameters: generated for a run (set <c>Parameters:NAME</c> to choose one),
/// and in the published manifest inputs the deployment tool generates and keeps as secrets.
/// </summary>
internal sealed record ServerSecrets(
    IResourceBuilder<ParameterResource> RedisPassword,
    IResourceBuilder<ParameterResource> MySqlPassword,
    IResourceBuilder<ParameterResource> S3AccessKey,
    IResourceBuilder<ParameterResource> S3SecretKey)
{
    public static ServerSecrets Add(IDistributedApplicationBuilder builder)
    {
        // Letters and digits only: StackExchange.Redis cannot take a comma in a password, the connection strings
        // are key=value;... lists, and MinIO wants a user of 3+ and a password of 8+ characters.
        IResourceBuilder<ParameterResource> Generated(string name, bool secret) =>
            builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: secret);

        return new ServerSecrets(
            Generated("redis-password", secret: true),
            Generated("mysql-password", secret: true),
            Generated("s3-access-key", secret: false),
            Generated("s3-secret-key", secret: true));
    }
}
