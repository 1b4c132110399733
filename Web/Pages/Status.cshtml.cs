using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecondServer.Web.Pages;

/// <summary>Styled pages for 403, 404 and other status codes of page requests (the API answers problem+json).</summary>
[IgnoreAntiforgeryToken]
internal sealed class StatusModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Message { get; private set; } = "";

    public void OnGet(int code) => Describe(code);

    public void OnPost(int code) => Describe(code);

    private void Describe(int code)
    {
        Response.StatusCode = code is >= 400 and < 600 ? code : StatusCodes.Status404NotFound;
        (Title, Message) = code switch
        {
            StatusCodes.Status404NotFound => ("Not found", "There is no page at this address."),
            StatusCodes.Status403Forbidden => ("Not allowed", "This page is for administrators."),
            StatusCodes.Status429TooManyRequests => ("Slow down", "Too many attempts; wait a little and try again."),
            _ => ($"Error {code}", "The request could not be completed."),
        };
    }
}
