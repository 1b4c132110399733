namespace SecondServer.AppHost.Servers;

/// <summary>Finds the servers' programs the way <c>scripts/up</c> installs them, and names the fix when one is missing.</summary>
internal static class HostTools
{
    /// <summary>Debian puts mariadbd and haproxy in /usr/sbin, which a non-root PATH often lacks.</summary>
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/usr/local/sbin"];

    public static string Find(string program, string package)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new AppHostConfigurationException(
            $"{program} was not found: install it with scripts/install (or apt-get install {package}), or run the servers as containers (AppHost:Servers=containers).");
    }

    public static string RequireFile(string path, string what) =>
        File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new AppHostConfigurationException($"{what} was not found at {path}: install it with scripts/install, or run the servers as containers (AppHost:Servers=containers).");
}
