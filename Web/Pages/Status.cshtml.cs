using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecondServer.Web.Pages;

/// <summary>Styled pages for 403, 404 and other status codes of page requests (the API answers problem+json).</summary>
[IgnoreAntiforgeryToken]
internal sealed class StatusModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Message { get; private set; } = "";

    public void OnGet() => Describe();

    public void OnPost() => Describe();

    private void Describe()
    {
        // Read from the route, not bound: re-executed for a refused form post, the form is unreadable, and model
        // binding then gives up on every argument, the route's included.
        var code = int.TryParse(RouteData.Values["code"]?.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        Response.StatusCode = code is >= 400 and < 600 ? code : StatusCodes.Status404NotFound;
        (Title, Message) = code switch
        {
            StatusCodes.Status400BadRequest => (
                "Not understood",
                "What was sent could not be read: larger than this page accepts, malformed, or from a form that expired. " +
                "Nothing was changed; go back and try again."),
            StatusCodes.Status404NotFound => ("Not found", "There is no page at this address."),
            StatusCodes.Status413PayloadTooLarge => ("Too large", "What was sent is larger than this page accepts. Nothing was changed."),
            StatusCodes.Status403Forbidden => ("Not allowed", "This page is for administrators."),
            StatusCodes.Status429TooManyRequests => ("Slow down", "Too many attempts; wait a little and try again."),
            _ => ($"Error {code}", "The request could not be completed."),
        };
    }
}
