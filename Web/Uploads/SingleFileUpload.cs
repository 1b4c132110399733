using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace SecondServer.Web.Uploads;

/// <summary>An upload refused with a status and a reason for the client.</summary>
internal sealed class UploadRejectedException(int status, string title, string detail) : Exception(title)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string Detail { get; } = detail;

    public IResult ToResult(HttpContext context)
    {
        if (Status == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the body is not read: closing the connection spares both sides sending it.
            context.Response.Headers.Connection = "close";
        }

        return Results.Problem(title: Title, detail: Detail, statusCode: Status);
    }
}

/// <summary>
/// Reads one file field of a multipart/form-data request into a temporary file, enforcing the size limit while it
/// streams in: an oversized upload is refused as soon as the limit is passed, never after it was read whole.
/// Memory holds one small buffer; the file on disk is deleted when the returned stream is disposed.
/// </summary>
internal static class SingleFileUpload
{
    // Room for the multipart boundaries and part headers around the file itself.
    public const long EnvelopeAllowance = 16 * 1024;

    public static async Task<FileStream> ReadAsync(HttpRequest request, string field, long maxBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The upload is malformed.", $"Send the file as multipart/form-data in the field '{field}'.");
        }

        if (request.ContentLength > maxBytes + EnvelopeAllowance)
        {
            throw TooLarge(maxBytes);
        }

        // A page's form post has been parsed whole before its handler runs (antiforgery validation needs the token
        // field, model binding the other fields), so the body is spent: take the file from the parsed form, through
        // the same limits. Only requests nobody parsed before, like the API's, stream.
        if (request.HttpContext.Features.Get<IFormFeature>()?.Form is { } form)
        {
            if (form.Files.GetFile(field) is not { } parsed)
            {
                throw NoFile(field);
            }

            if (parsed.Length > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            await using var source = parsed.OpenReadStream();
            return await CopyLimitedAsync(source, maxBytes, cancellationToken);
        }

        var reader = new MultipartReader(boundary, request.Body);
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    && disposition.IsFileDisposition() && HeaderUtilities.RemoveQuotes(disposition.Name).Equals(field, StringComparison.Ordinal))
                {
                    return await CopyLimitedAsync(section.Body, maxBytes, cancellationToken);
                }
            }
        }
        catch (IOException ex) when (ex is not BadHttpRequestException)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The upload is malformed.", ex.Message);
        }
        catch (InvalidDataException ex)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The upload is malformed.", ex.Message);
        }

        throw NoFile(field);
    }

    private static async Task<FileStream> CopyLimitedAsync(Stream source, long maxBytes, CancellationToken cancellationToken)
    {
        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"upload-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            if (total == 0)
            {
                throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The file is empty.", "Choose a picture that has content.");
            }

            await file.FlushAsync(cancellationToken);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private static UploadRejectedException NoFile(string field) =>
        new(StatusCodes.Status400BadRequest, $"No file in the field '{field}'.", $"Send the file as multipart/form-data in the field '{field}'.");

    private static UploadRejectedException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, "The file is too large.", $"The limit is {maxBytes / (1024.0 * 1024.0):0.#} MB.");
}
