using System.Text;
using Lupa.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Lupa.Admin;

/// <summary>A CSV written straight to the response as it is produced (memory does not grow with it), as an attachment.</summary>
public sealed class StreamedCsvResult(string fileName, Func<Stream, CancellationToken, Task> write) : IActionResult
{
    /// <inheritdoc />
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.ContentType = "text/csv; charset=utf-8";
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName);
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.CacheControl = "no-store";
        await write(response.Body, context.HttpContext.RequestAborted);
    }

    /// <summary>Writes text chunks as UTF-8, or <paramref name="empty"/> when there are none.</summary>
    public static async Task WriteChunksAsync(Stream output, IAsyncEnumerable<string> chunks, string empty, CancellationToken ct)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var any = false;
        await foreach (var chunk in chunks.WithCancellation(ct))
        {
            any = true;
            await writer.WriteAsync(chunk.AsMemory(), ct);
        }
        if (!any)
            await writer.WriteAsync(empty.AsMemory(), ct);
        await writer.FlushAsync(ct);
    }
}

/// <summary>
/// Lets a page take an upload as large as <c>Lupa:Imports:MaxUploadMegabytes</c> (Kestrel's and the form
/// reader's defaults are far smaller). Runs before the antiforgery check, which is what reads the form.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ImportUploadLimitsAttribute : Attribute, IAuthorizationFilter, IOrderedFilter
{
    /// <summary>Before the antiforgery filter (1000), like <see cref="RequestFormLimitsAttribute"/>.</summary>
    public int Order => 900;

    /// <inheritdoc />
    public void OnAuthorization(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        if (!http.Request.HasFormContentType || !http.Request.ContentType!.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            return;
        var options = http.RequestServices.GetRequiredService<IOptions<LupaOptions>>().Value;
        // The file, plus room for the other fields and the multipart framing.
        var max = options.Imports.MaxUploadMegabytes * 1024L * 1024L + 1024L * 1024L;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = max;
        if (http.Features.Get<IFormFeature>()?.Form is null)
            http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions { MultipartBodyLengthLimit = max }));
    }
}

/// <summary>The downloads of a record of processing: ?format=markdown or ?format=json.</summary>
public static class RecordDownload
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// The file for <paramref name="format"/> (named <paramref name="name"/>.md or .json), or null when no format was
    /// asked for (show the page); an unknown format is <paramref name="unknown"/>.
    /// </summary>
    public static IActionResult? For<T>(string? format, string name, T record, Func<T, string> markdown, Func<IActionResult> unknown) => format?.ToLowerInvariant() switch
    {
        null or "" => null,
        "markdown" or "md" => new FileContentResult(Encoding.UTF8.GetBytes(markdown(record)), "text/markdown; charset=utf-8") { FileDownloadName = name + ".md" },
        "json" => new FileContentResult(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, Json), "application/json") { FileDownloadName = name + ".json" },
        _ => unknown(),
    };
}
