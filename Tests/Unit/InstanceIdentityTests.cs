using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SecondServer.ServiceDefaults;

namespace SecondServer.Tests.Unit;

/// <summary>One name per process: the configured one, or else the host name and port, resolved and registered once.</summary>
public sealed class InstanceIdentityTests
{
    [Fact]
    public void The_configured_name_is_resolved_once_and_is_what_the_services_get()
    {
        var builder = Builder(new() { ["App:InstanceId"] = "web-7" });

        var first = InstanceIdentity.Of(builder);
        var again = InstanceIdentity.Of(builder);
        using var host = builder.Build();

        Assert.Equal("web-7", first.Name);
        Assert.Same(first, again);
        Assert.Same(first, Assert.Single(host.Services.GetServices<InstanceIdentity>()));
    }

    [Fact]
    public void Without_a_configured_name_the_host_name_and_port_stand_in()
    {
        var builder = Builder(new() { ["App:InstanceId"] = " ", ["urls"] = "http://+:5107;http://127.0.0.1:6107" });

        Assert.Equal($"{Environment.MachineName}:5107", InstanceIdentity.Of(builder).Name);
    }

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }
}
