namespace SecondServer.AppHost.Servers;

/// <summary>
/// A server run as a plain process (executables mode) that hands out a connection string, as a hosting
/// integration's container resource would. One resource carries both, because two resources may not share a name
/// and the services read the connection string under the server's connection name.
/// </summary>
internal sealed class ServerExecutableResource(
    string name, string command, string workingDirectory, string endpointName, Func<EndpointReference, ReferenceExpression> connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, endpointName);

    public ReferenceExpression ConnectionStringExpression => connectionString(Endpoint);
}

/// <summary>A server in a container (containers mode, and always in the published manifest) with its connection string.</summary>
internal sealed class ServerContainerResource(string name, string endpointName, Func<EndpointReference, ReferenceExpression> connectionString)
    : ContainerResource(name), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, endpointName);

    public ReferenceExpression ConnectionStringExpression => connectionString(Endpoint);
}
