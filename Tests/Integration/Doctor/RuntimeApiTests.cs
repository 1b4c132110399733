using SecondServer.Tests.Support;
using SecondServer.Web.Doctor;

namespace SecondServer.Tests.Integration.Doctor;

/// <summary>The doctor and the cluster page read a real HAProxy's runtime API over TCP, as from another machine.</summary>
public sealed class RuntimeApiTests
{
    [Fact]
    public async Task The_backend_servers_are_read_from_a_runtime_API_on_HOST_PORT()
    {
        await using var haproxy = await ServerProcess.StartHaproxyRuntimeApiAsync();
        var settings = new ClusterOptions
        {
            Web = ["web-1=http://127.0.0.1:1"],
            HaproxyConfig = "unused.cfg",
            HaproxySocket = $"127.0.0.1:{haproxy.Port}",
            Redis = "127.0.0.1:1",
            MySql = "127.0.0.1:1",
        }.ToSettings();

        var (_, servers, error) = await new ClusterProbe(settings, TimeSpan.FromSeconds(5)).ObserveNodesAsync(TestContext.Current.CancellationToken);

        Assert.Null(error);
        Assert.NotNull(servers);
        Assert.Equal(["web-1", "web-2"], servers.Select(s => s.Name));
        // Unchecked servers count as up; what matters is that the row came over TCP and was parsed by its header.
        Assert.All(servers, s => Assert.Equal("no check", s.Status));
        Assert.All(servers, s => Assert.Equal(0, s.Sessions));
    }
}
