namespace SecondServer.AppHost;

/// <summary>Decides, before anything starts, whether the servers run as containers or as executables.</summary>
internal static class ServerModes
{
    /// <summary>Long enough for a local engine on a busy machine, short enough that a missing one costs nothing.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    public static async Task<(ServerMode Mode, string Reason)> ChooseAsync(IDistributedApplicationBuilder builder, AppHostOptions options, CancellationToken cancellationToken)
    {
        // A manifest describes a deployment, where the servers are containers whatever this machine has.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return (ServerMode.Containers, "publishing: the manifest always describes containers");
        }

        if (options.Servers == ServerMode.Executables)
        {
            return (ServerMode.Executables, "AppHost:Servers=executables");
        }

        var host = ContainerRuntime.HostOf(builder.Configuration);
        var (answers, detail) = await ContainerRuntime.PingAsync(host, ProbeTimeout, cancellationToken).ConfigureAwait(false);
        if (options.Servers == ServerMode.Containers)
        {
            return answers
                ? (ServerMode.Containers, $"AppHost:Servers=containers; {detail}")
                : throw new AppHostConfigurationException(
                    $"AppHost:Servers=containers, but {detail}. Start a Docker engine (scripts/images starts one and builds the images a machine without a registry needs), " +
                    "or run the Debian servers instead: dotnet run --project AppHost -- --AppHost:Servers=executables");
        }

        return answers
            ? (ServerMode.Containers, $"AppHost:Servers=auto and {detail}")
            : (ServerMode.Executables, $"AppHost:Servers=auto and {detail}");
    }
}
