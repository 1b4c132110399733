using System.Diagnostics;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SecondServer.Web.Doctor;

namespace SecondServer.Web.Pages.Admin;

/// <summary>The second-server doctor in the browser: the same probe and rules as <c>scripts/doctor</c>, run on each visit.</summary>
internal sealed class DoctorModel(IOptions<ClusterOptions> options, ClusterObserver observer) : PageModel
{
    public bool Configured => options.Value.IsConfigured;

    public IReadOnlyList<(IDoctorRule Rule, RuleResult Result)> Results { get; private set; } = [];

    public long ElapsedMilliseconds { get; private set; }

    public int Failed => Results.Count(r => !r.Result.Passed);

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!Configured)
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        var cluster = await observer.ObserveAsync(options.Value.ToSettings(), ct);
        Results = [.. DoctorRules.All.Select(rule => (rule, rule.Check(cluster)))];
        ElapsedMilliseconds = watch.ElapsedMilliseconds;
    }
}
