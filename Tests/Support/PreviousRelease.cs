
namespace SecondServer.Tests.Support;

/// <summary>
/// The release before this one (the revision in <c>deploy/previous-release</c>), built into a release folder the way
/// <c>scripts/deploy</c> builds one, from that revision's own source and scripts: what a cluster runs when this
/// release is rolled out over it.
/// </summary>
internal static class PreviousRelease
{
    private static readonly SemaphoreSlim Building = new(1, 1);

    public static string Revision { get; } =
        File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "previous-release")).Trim();

    /// <summary>The built release folder (web/ and worker/); built once per machine and revision, then reused.</summary>
    public static async Task<string> BuildAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(TestEnvironment.RepositoryRoot, ".data", "previous-release");
        var release = Path.Combine(root, "releases", $"previous-{Revision[..12]}");
        await Building.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(Path.Combine(release, "web", "Web.dll")))
            {
                return release;
            }

            // Its source outside this repository, so its build cannot pick up this checkout's files or git state.
            var source = Path.Combine(Path.GetTempPath(), $"secondserver-previous-{Revision[..12]}-{Guid.NewGuid():N}"[..60]);
            Directory.CreateDirectory(source);
            try
            {
                await RunAsync("bash", ["-c", $"git -C \"$0\" archive {Revision} | tar -x -C \"$1\"", TestEnvironment.RepositoryRoot, source], cancellationToken);
                await RunAsync(Path.Combine(source, "scripts", "lib", "publish"), [release], cancellationToken);
            }
            finally
            {
                Directory.Delete(source, recursive: true);
            }

            return release;
        }
        finally
        {
            Building.Release();
        }
    }

    private static async Task RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ProcessRunner.RunAsync(file, arguments, TimeSpan.FromMinutes(8), cancellationToken: cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed building the previous release ({Revision}):\n{output}");
        }
    }
}
