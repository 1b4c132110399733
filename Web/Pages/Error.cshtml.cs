using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure;
using SecondServer.ServiceDefaults;

namespace SecondServer.Web.Pages;

/// <summary>What a person sees instead of a stack trace: what went wrong in words, and the id to find it by.</summary>
[IgnoreAntiforgeryToken]
internal sealed class ErrorModel(DependencyFailures dependencies, InstanceIdentity instance) : PageModel
{
    public string Title { get; private set; } = "Something went wrong";

    public string Message { get; private set; } = "An unexpected error stopped this page. Nothing you did caused it; please try again.";

    public string RequestId { get; private set; } = "";

    public string Instance => instance.Name;

    public void OnGet() => Describe();

    public void OnPost() => Describe();

    private void Describe()
    {
        RequestId = Activity.Current?.TraceId.ToString() ?? HttpContext.TraceIdentifier;
        var error = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is null)
        {
            // Asked for directly, not re-executed for an error: there is nothing to describe.
            Response.StatusCode = StatusCodes.Status404NotFound;
            Title = "Not found";
            Message = "There is no page at this address.";
        }
        else if (error is BadHttpRequestException bad)
        {
            // A request the server refused to read (too large, malformed form): the client's fault, said as such.
            Response.StatusCode = bad.StatusCode;
            Title = "The request was refused";
            Message = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "What you sent is larger than this page accepts. Nothing was changed."
                : "What you sent could not be read. Nothing was changed.";
        }
        else if (dependencies.DependencyOf(error) is { } dependency)
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Title = "Temporarily unavailable";
            Message = $"This page needs {dependency}, which cannot be reached right now. Nothing was changed; please try again in a moment.";
        }
        else
        {
            Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }
}
