using System.Globalization;

namespace SecondServer.Bench;

/// <summary><c>--name value</c> pairs.</summary>
internal sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[2..];
                values[name] = "";
            }
            else if (name is not null)
            {
                values[name] = arg;
                name = null;
            }
        }

        return new Arguments(values);
    }

    public string Required(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new ArgumentException($"--{name} is required.");

    public string Text(string name, string fallback) => values.TryGetValue(name, out var value) && value.Length > 0 ? value : fallback;

    public int Number(string name, int fallback) => values.TryGetValue(name, out var value) && value.Length > 0 ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
