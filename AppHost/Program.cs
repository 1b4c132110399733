// The same services as scripts/up, on containers: Redis, MySQL and MinIO, two Web replicas and the Worker.
// Resource names are the connection names the services read (ConnectionStrings:redis, :appdb, :uploads).
//
// Aspire's local replica proxy picks a random replica per TCP connection and does not health-check: it shows
// that the app is stateless, not how a balancer drains. For round robin with active health checks use
// scripts/up (HAProxy) locally and the platform's ingress (Azure Container Apps, Kubernetes) when published.
var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddRedis("redis")
    .WithDataVolume();

var mysql = builder.AddMySql("mysql")
    // MySQL 9.x is the integration's default; 8.4 LTS is what the app is written against.
    .WithImageTag("8.4")
    // Makes the database exist in published deployments too, where the AppHost does not create it.
    .WithEnvironment("MYSQL_DATABASE", "appdb");
if (builder.ExecutionContext.IsRunMode)
{
    mysql.WithDataVolume();
}

var appdb = mysql.AddDatabase("appdb");

#pragma warning disable CS0618 // The MinIO integration is marked obsolete (MinIO OSS archived); the S3 API it serves is what matters here.
var uploads = builder.AddMinioContainer("uploads")
    .WithDataVolume();
#pragma warning restore CS0618

builder.AddProject<Projects.Web>("web", launchProfileName: "http")
    .WithReplicas(2)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health/ready")
    .WithReference(appdb).WaitFor(appdb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(uploads).WaitFor(uploads)
    .WithEnvironment("Storage__Bucket", "uploads")
    .WithEnvironment("Admin__Emails__0", "admin@example.com");

builder.AddProject<Projects.Worker>("worker", launchProfileName: "http")
    .WithHttpHealthCheck("/health/ready")
    .WithReference(appdb).WaitFor(appdb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(uploads).WaitFor(uploads)
    .WithEnvironment("Storage__Bucket", "uploads");

builder.Build().Run();
