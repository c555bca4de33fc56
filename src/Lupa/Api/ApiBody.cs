using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Lupa.Api;

/// <summary>
/// Reads a JSON body with errors a caller can act on: malformed JSON, unknown fields and oversize
/// bodies each answer with problem+json naming what is wrong.
/// </summary>
public static class ApiBody
{
    /// <summary>Largest request body the API reads.</summary>
    public const long MaxBytes = 256 * 1024;

    /// <summary>Reads the body as <typeparamref name="T"/>, or returns the problem to answer with.</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context) where T : class
    {
        var request = context.Request;
        if (request.ContentLength > MaxBytes)
            return (null, TooLarge());
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = MaxBytes;
        if (!request.HasJsonContentType())
            return (null, TypedResults.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send the body as application/json."));
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, context.RequestAborted);
            if (value is null)
                return (null, TypedResults.Problem(statusCode: 400, title: "Invalid JSON", detail: "The body must be a JSON object."));
            return (value, null);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            var detail = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"Unknown field{where}. {FirstSentence(e.Message)}"
                : $"Malformed JSON{where}: {FirstSentence(e.Message)}";
            return (null, TypedResults.Problem(statusCode: 400, title: "Invalid JSON", detail: detail));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return (null, TooLarge());
        }
    }

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: 413, title: "Body too large", detail: $"The request body must be at most {MaxBytes} bytes.");

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..(i + 1)] : message;
    }

    /// <summary>A 422 naming the field.</summary>
    public static ProblemHttpResult Invalid(string field, string reason) =>
        TypedResults.Problem(statusCode: 422, title: "Invalid value", detail: $"{field}: {reason}",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [reason] } });

    /// <summary>A 404 for anything not found in the caller's organisation (including another organisation's).</summary>
    public static ProblemHttpResult NotFound(string what) => TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"No {what} with that id in this organisation.");

    /// <summary>A 409.</summary>
    public static ProblemHttpResult Conflict(string field, string reason) =>
        TypedResults.Problem(statusCode: 409, title: "Conflict", detail: $"{field}: {reason}",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [reason] } });

    /// <summary>Cursor: opaque to callers, the last id seen.</summary>
    public static string Cursor(long id) => Base64Url.EncodeToString(BitConverter.GetBytes(id));

    /// <summary>Reads a cursor; false when it is not one of ours.</summary>
    public static bool TryReadCursor(string? cursor, out long id)
    {
        id = 0;
        if (string.IsNullOrEmpty(cursor))
            return true;
        Span<byte> bytes = stackalloc byte[16];
        if (cursor.Length > 20 || !Lupa.Security.LinkTokens.IsBase64UrlText(cursor) || !Base64Url.TryDecodeFromChars(cursor, bytes, out var n) || n != 8)
            return false;
        id = BitConverter.ToInt64(bytes[..8]);
        return id >= 0;
    }
}
