using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Redis;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Tests.Unit;

public sealed class ConfigurationValidationTests
{
    [Theory]
    [InlineData(null, "ConnectionStrings:redis is missing")]
    [InlineData(",password=x", "ConnectionStrings:redis names no host")]
    [InlineData("localhost:6379,passwrd=x", "ConnectionStrings:redis is malformed")]
    public void Redis_connection_string_errors_name_the_key(string? value, string expected)
    {
        var result = new RedisOptionsValidator().Validate(null, new RedisOptions { ConnectionString = value });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("host:port,password=", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_connection_string_in_the_Aspire_format_is_accepted()
    {
        var result = new RedisOptionsValidator().Validate(null, new RedisOptions { ConnectionString = "localhost:6380,password=secret" });

        Assert.True(result.Succeeded);
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:appdb is missing")]
    [InlineData("Server=db;User ID=app;Password=x", "ConnectionStrings:appdb lacks Database")]
    [InlineData("Server=db;Database=appdb", "ConnectionStrings:appdb lacks User ID")]
    [InlineData("this is not a connection string", "ConnectionStrings:appdb is malformed")]
    public void Database_connection_string_errors_name_the_key(string? value, string expected)
    {
        var result = new DatabaseOptionsValidator().Validate(null, new DatabaseOptions { ConnectionString = value });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Database_connection_string_in_the_Aspire_format_is_accepted()
    {
        var result = new DatabaseOptionsValidator().Validate(null, new DatabaseOptions { ConnectionString = "Server=localhost;Port=3306;User ID=root;Password=x;Database=appdb" });

        Assert.True(result.Succeeded);
    }

    [Theory]
    [InlineData(null, "uploads", "ConnectionStrings:uploads is missing")]
    [InlineData("Endpoint=http://s3:9000;AccessKey=a", "uploads", "ConnectionStrings:uploads lacks SecretKey")]
    [InlineData("Endpoint=s3:9000;AccessKey=a;SecretKey=b", "uploads", "not an http(s) URL")]
    [InlineData("Endpoint=http://s3:9000;AccessKey=a;SecretKey=b", "Bad_Bucket", "Storage:Bucket 'Bad_Bucket' is not a valid bucket name")]
    public void Storage_settings_errors_name_the_key(string? value, string bucket, string expected)
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions { ConnectionString = value, Bucket = bucket });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_connection_string_in_the_MinIO_format_is_accepted()
    {
        var options = new StorageOptions { ConnectionString = "Endpoint=http://localhost:9000;AccessKey=minioadmin;SecretKey=s3cret" };

        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(new Uri("http://localhost:9000"), options.Endpoint);
        Assert.Equal("minioadmin", options.AccessKey);
    }

    [Theory]
    [InlineData("https://www.example.com/uploads/")]
    [InlineData("ftp://www.example.com")]
    [InlineData("https://www.example.com/?a=b")]
    [InlineData("www.example.com")]
    public void Storage_public_endpoint_must_be_an_origin_since_signatures_cover_the_path(string value)
    {
        var options = new StorageOptions { ConnectionString = "Endpoint=http://s3:9000;AccessKey=a;SecretKey=b", PublicEndpoint = new Uri(value, UriKind.RelativeOrAbsolute) };

        var result = new StorageOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Storage:PublicEndpoint", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("https://www.example.com/")]
    public void Storage_public_endpoint_of_scheme_host_and_port_is_accepted(string value)
    {
        var options = new StorageOptions { ConnectionString = "Endpoint=http://s3:9000;AccessKey=a;SecretKey=b", PublicEndpoint = new Uri(value) };

        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
    }
}
