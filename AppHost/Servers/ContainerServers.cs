namespace SecondServer.AppHost.Servers;

/// <summary>
/// Redis, MySQL and an S3 server as containers: in containers mode, and always in the published manifest. The images
/// follow the official images' contracts (MySQL's MYSQL_* environment, MinIO's <c>server /data</c> and root user),
/// which is also what the locally built images under deploy/images accept.
/// </summary>
internal static class ContainerServers
{
    public static ServerSet Add(IDistributedApplicationBuilder builder, ServerSecrets secrets, ImageOptions images)
    {
        var publishing = builder.ExecutionContext.IsPublishMode;

        var redisImage = Image(images.Redis);
#pragma warning disable ASPIRECERTIFICATES001 // An evaluation API; without it a trusted developer certificate turns TLS on.
        var redis = builder.AddRedis("redis", password: secrets.RedisPassword)
            .WithImage(redisImage.Image, redisImage.Tag)
            .WithImageRegistry(redisImage.Registry)
            // The services' connection string is plain host:port,password=... (DESIGN.md); no development TLS.
            .WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

        var mysqlImage = Image(images.MySql);
        var mysql = builder.AddResource(new ServerContainerResource("mysql", "tcp",
                endpoint => ReferenceExpression.Create(
                    $"Server={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};User ID=app;Password={secrets.MySqlPassword.Resource};Database=appdb")))
            .WithImage(mysqlImage.Image, mysqlImage.Tag)
            .WithImageRegistry(mysqlImage.Registry)
            .WithIconName("Database")
            .WithEndpoint(name: "tcp", scheme: "tcp", targetPort: 3306)
            // The app needs only its database: root gets a random password nobody keeps.
            .WithEnvironment("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
            .WithEnvironment("MYSQL_DATABASE", "appdb")
            .WithEnvironment("MYSQL_USER", "app")
            .WithEnvironment("MYSQL_PASSWORD", secrets.MySqlPassword)
            .WithMySqlHealthCheck();

        var s3Image = Image(images.S3);
        var s3Resource = new ServerContainerResource("s3", "http",
            endpoint => ReferenceExpression.Create(
                $"Endpoint={endpoint.Property(EndpointProperty.Url)};AccessKey={secrets.S3AccessKey.Resource};SecretKey={secrets.S3SecretKey.Resource}"));
        var s3 = builder.AddResource(s3Resource)
            .WithImage(s3Image.Image, s3Image.Tag)
            .WithImageRegistry(s3Image.Registry)
            .WithIconName("Storage")
            .WithHttpEndpoint(name: "http", targetPort: 9000)
            .WithArgs("server", "/data")
            .WithEnvironment("MINIO_ROOT_USER", secrets.S3AccessKey)
            .WithEnvironment("MINIO_ROOT_PASSWORD", secrets.S3SecretKey)
            .WithS3HealthCheck(s3Resource.Endpoint);

        // A run starts from empty servers (its passwords are new each run); a deployment keeps its data in volumes.
        if (publishing)
        {
            redis.WithDataVolume();
            mysql.WithVolume("mysql-data", "/var/lib/mysql");
            s3.WithVolume("s3-data", "/data");
        }

        return new ServerSet(redis, mysql, s3);
    }

    private static ContainerImage Image(string reference) =>
        ContainerImage.TryParse(reference, out var image) ? image : throw new AppHostConfigurationException($"'{reference}' is not an image reference.");
}
