using System.Text;
using System.Text.RegularExpressions;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Unit;

/// <summary>
/// Every relative link in the documentation leads somewhere: a moved section or a renamed file breaks a link
/// silently, and a newcomer finds out first.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    [Fact]
    public void Every_relative_link_in_the_documentation_points_at_an_existing_file_and_heading()
    {
        var root = TestEnvironment.RepositoryRoot;
        var documents = DocumentationFiles(root).ToList();
        var broken = new List<string>();

        foreach (var document in documents)
        {
            foreach (var (line, target) in Links(document))
            {
                if (UriScheme().IsMatch(target))
                {
                    continue;
                }

                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var resolved = path.Length == 0
                    ? document
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, Uri.UnescapeDataString(path)));
                var where = $"{Path.GetRelativePath(root, document)}:{line}: {target}";

                if (!File.Exists(resolved) && !Directory.Exists(resolved))
                {
                    broken.Add($"{where} (no such file)");
                }
                else if (anchor is { Length: > 0 } && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(anchor))
                {
                    broken.Add($"{where} (no such heading)");
                }
            }
        }

        Assert.True(documents.Count > 1, "no documentation was found under " + root);
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join('\n', broken));
    }

    [Theory]
    [InlineData("The AppHost (Aspire 13.6)", "the-apphost-aspire-136")]
    [InlineData("Reliability: faults, what users see, and what is lost", "reliability-faults-what-users-see-and-what-is-lost")]
    [InlineData("Servers: containers, executables or auto", "servers-containers-executables-or-auto")]
    public void Anchors_are_made_from_headings_as_GitHub_makes_them(string heading, string anchor) =>
        Assert.Equal(anchor, Slug(heading));

    private static IEnumerable<string> DocumentationFiles(string root) =>
        new[] { "docs", "deploy", "bench" }
            .Select(folder => Path.Combine(root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.md", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Prepend(Path.Combine(root, "README.md"))
            .Order(StringComparer.Ordinal);

    /// <summary>The links and images of a markdown file with their line numbers, outside code blocks and code spans.</summary>
    private static IEnumerable<(int Line, string Target)> Links(string file)
    {
        var inFence = false;
        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                continue;
            }

            foreach (Match link in Link().Matches(CodeSpan().Replace(line, "")))
            {
                yield return (number, link.Groups["target"].Value);
            }
        }
    }

    /// <summary>The anchors GitHub gives a file's headings, a repeated one numbered as GitHub numbers it.</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in File.ReadLines(file))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }
            else if (!inFence && Heading().Match(line) is { Success: true } heading)
            {
                var slug = Slug(heading.Groups["text"].Value);
                var unique = slug;
                for (var n = 1; !anchors.Add(unique); n++)
                {
                    unique = $"{slug}-{n}";
                }
            }
        }

        return anchors;
    }

    private static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex UriScheme();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
