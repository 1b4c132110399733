using SecondServer.AppHost.Servers;

namespace SecondServer.AppHost;

/// <summary>The Web and Worker projects, wired to the servers by the connection names the services read.</summary>
internal static class Services
{
    public static IResourceBuilder<ProjectResource> Add<TProject>(IDistributedApplicationBuilder builder, string name, ServerSet servers)
        where TProject : IProjectMetadata, new()
    {
        var running = builder.ExecutionContext.IsRunMode;
        // No launch profile: its fixed port would be shared by both replicas. In a run the endpoint is proxy-less, so
        // the port HAProxy checks is the process itself, not a DCP proxy that accepts connections for a dead one.
        var project = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(name: "http", isProxied: !running)
            .WithReference(servers.Redis, "redis")
            .WithReference(servers.MySql, "appdb")
            .WithReference(servers.S3, "uploads")
            .WaitFor(servers.Redis)
            .WaitFor(servers.MySql)
            .WaitFor(servers.S3)
            .WithEnvironment("Admin__Emails__0", "admin@example.com")
            .WithHttpHealthCheck("/health/ready");

        if (running)
        {
            project
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
                .WithEnvironment("App__InstanceId", name);
#pragma warning disable ASPIRECERTIFICATES001 // An evaluation API: plain HTTP behind HAProxy, which ends TLS, needs no development certificate.
            project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
        }

        return project;
    }
}
