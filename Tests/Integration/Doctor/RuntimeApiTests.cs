using SecondServer.Infrastructure.Diagnostics.Balancer;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Doctor;

/// <summary>The doctor and the cluster page read a real HAProxy's runtime API over TCP, as from another machine.</summary>
public sealed class RuntimeApiTests
{
    [Fact]
    public async Task The_backend_servers_are_read_from_a_runtime_API_on_HOST_PORT()
    {
        await using var haproxy = await ServerProcess.StartHaproxyRuntimeApiAsync();

        var servers = await new HaproxyRuntimeApi().BackendServersAsync($"127.0.0.1:{haproxy.Port}", "be_web", TestContext.Current.CancellationToken);

        Assert.Equal(["web-1", "web-2"], servers.Select(s => s.Name));
        // Unchecked servers count as up; what matters is that the row came over TCP and was parsed by its header.
        Assert.All(servers, s => Assert.Equal("no check", s.Status));
        Assert.All(servers, s => Assert.Equal(0, s.Sessions));
    }
}
