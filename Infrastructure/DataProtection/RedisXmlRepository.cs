using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace SecondServer.Infrastructure.DataProtection;

/// <summary>
/// The Data Protection key ring in one Redis list that every replica reads, so a cookie or antiforgery token
/// protected by one replica (or by the previous release) is readable by all. (The framework's Redis repository
/// needs StackExchange.Redis 2.x, which does not restore here.)
/// </summary>
/// <remarks>
/// <see cref="IXmlRepository"/> is synchronous. With StackExchange.Redis 1.2.6 a synchronous call made on a
/// multiplexer's socket-reader thread stalls that multiplexer, so this repository has a multiplexer of its own:
/// whatever thread the key ring is read on, the reply it waits for arrives on another connection's reader.
/// The ring is read rarely (at startup, on an unknown key id, once a day).
/// </remarks>
internal sealed class RedisXmlRepository(ConfigurationOptions configuration, string keyPrefix) : IXmlRepository, IDisposable
{
    public const string ListKey = "dataprotection:keys";

    private readonly Lazy<ConnectionMultiplexer> _connection = new(() => ConnectionMultiplexer.Connect(configuration));

    private IDatabase Database => _connection.Value.GetDatabase().WithKeyPrefix(keyPrefix);

    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. Database.ListRange(ListKey).Select(value => XElement.Parse((string)value!))];

    public void StoreElement(XElement element, string friendlyName) =>
        Database.ListRightPush(ListKey, element.ToString(SaveOptions.DisableFormatting));

    public void Dispose()
    {
        if (_connection.IsValueCreated)
        {
            _connection.Value.Dispose();
        }
    }
}
