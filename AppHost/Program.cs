// The whole cluster for a developer, with the Aspire dashboard: Redis, MySQL and the S3 server (containers or the
// Debian/npm executables scripts/up uses), web-1 and web-2 behind HAProxy, and worker-1. Resource connection names
// are the keys the services read (ConnectionStrings:redis, :appdb, :uploads), so the services cannot tell the
// AppHost from scripts/up. Configuration: the AppHost section (AppHostOptions.cs), README "Three ways to run it".
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecondServer.AppHost;
using SecondServer.AppHost.Servers;

var builder = DistributedApplication.CreateBuilder(args);
try
{
    var options = AppHostOptions.From(builder.Configuration);
    var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
    var dataDirectory = Path.GetFullPath(options.DataDirectory ?? Path.Combine(repositoryRoot, ".data", "apphost"));
    var (mode, reason) = await ServerModes.ChooseAsync(builder, options, CancellationToken.None);

    var secrets = ServerSecrets.Add(builder);
    var servers = mode == ServerMode.Containers
        ? ContainerServers.Add(builder, secrets, options.Images)
        : ExecutableServers.Add(builder, secrets, dataDirectory, repositoryRoot,
            Path.GetFullPath(options.S3Modules ?? Path.Combine(repositoryRoot, ".tools", "s3", "node_modules")));

    if (builder.ExecutionContext.IsPublishMode)
    {
        // One web project: a deployment scales it with its platform's replica settings behind the platform's ingress
        // (docs/apphost.md, "Publishing"), so neither the two named replicas nor HAProxy belong in the manifest.
        Services.Add<Projects.Web>(builder, "web", servers).WithExternalHttpEndpoints();
        Services.Add<Projects.Worker>(builder, "worker", servers);
    }
    else
    {
        Ports.RequireFree(options.BalancerPort, "AppHost:BalancerPort");
        // Two named projects rather than WithReplicas(2): HAProxy must address each replica by its own port, and
        // DCP gives a replicated project's instances ports only its own proxy knows (a proxy-less endpoint is refused
        // on a replicated resource), so a health-checking balancer could not reach them one by one.
        var web1 = Services.Add<Projects.Web>(builder, "web-1", servers);
        var web2 = Services.Add<Projects.Web>(builder, "web-2", servers);
        Services.Add<Projects.Worker>(builder, "worker-1", servers);
        Balancer.Add(builder, options, dataDirectory, repositoryRoot, web1, web2, (IResourceWithEndpoints)servers.S3.Resource);
    }

    builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
    {
        @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SecondServer.AppHost")
            .LogInformation("Servers run as {Mode} ({Reason}); data of executables under {DataDirectory}", mode, reason, dataDirectory);
        return Task.CompletedTask;
    });
}
catch (AppHostConfigurationException ex)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}");
    return 1;
}

await builder.Build().RunAsync();
return 0;
