using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SecondServer.Web.Admin;

/// <summary>
/// Hides what looks like a secret before a job's envelope is shown to an operator: the value of every property whose
/// name says password, secret, token, key, credential, authorization, cookie or signature (at any depth), and
/// anything that is not JSON at all (it cannot be inspected, so it is not shown).
/// </summary>
internal static partial class PayloadRedaction
{
    public const string Hidden = "[redacted]";

    public static string Redact(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return Hidden + " (not JSON)";
        }

        Walk(root);
        return root?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";
    }

    private static void Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (SecretName().IsMatch(name))
                    {
                        obj[name] = Hidden;
                    }
                    else
                    {
                        Walk(obj[name]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Walk(item);
                }

                break;
        }
    }

    // "traceparent" and "uniqueId" are the envelope's own fields and carry nothing secret.
    [GeneratedRegex("pass(word)?|secret|token|(api|private|access)?key$|credential|authorization|cookie|signature", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
