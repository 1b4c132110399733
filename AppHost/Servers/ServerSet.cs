namespace SecondServer.AppHost.Servers;

/// <summary>The three servers the services use, whichever way they run; each gives one connection string.</summary>
internal sealed record ServerSet(
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> MySql,
    IResourceBuilder<IResourceWithConnectionString> S3);
