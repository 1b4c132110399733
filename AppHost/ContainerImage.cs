namespace SecondServer.AppHost;

/// <summary>An image reference split the way Aspire's <c>WithImage(image, tag)</c> and <c>WithImageRegistry</c> want it.</summary>
internal sealed record ContainerImage(string? Registry, string Image, string Tag)
{
    /// <summary>Parses <c>[registry/]name[:tag]</c>; a first segment with a dot, a colon or "localhost" is a registry.</summary>
    public static bool TryParse(string? reference, out ContainerImage image)
    {
        image = new ContainerImage(null, string.Empty, string.Empty);
        if (string.IsNullOrWhiteSpace(reference) || reference.Any(char.IsWhiteSpace) || reference.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        string? registry = null;
        var rest = reference;
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var first = reference[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                registry = first;
                rest = reference[(slash + 1)..];
            }
        }

        var colon = rest.LastIndexOf(':');
        var (name, tag) = colon > rest.LastIndexOf('/') && colon >= 0 ? (rest[..colon], rest[(colon + 1)..]) : (rest, "latest");
        if (name.Length == 0 || tag.Length == 0)
        {
            return false;
        }

        image = new ContainerImage(registry, name, tag);
        return true;
    }
}
