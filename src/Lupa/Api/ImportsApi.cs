using System.Security.Claims;
using System.Text.Json;
using Lupa.Domain.Imports;
using Lupa.Imports;
using Lupa.Lists;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Lupa.Api;

/// <summary>An import job as the API shows it.</summary>
public sealed record ImportDto(
    long Id, string Status, string FileName, long FileBytes, string FileSha256, long[] ListIds, string UpdateMode, string NoEvidencePolicy,
    long TotalRows, long ProcessedRows, double Percent, IReadOnlyDictionary<string, long> Counts, JsonElement? Risk, string? HeldReasons,
    string? ReviewNote, string? Error, string Attestation, string AttestedBy, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string ReportUrl);

/// <summary>The organisation's import settings.</summary>
public sealed class ImportSettingsDto
{
    /// <summary><c>refuse</c> rows without evidence, or keep them pending with a <c>repermission</c> mail.</summary>
    public string? NoEvidencePolicy { get; set; }

    /// <summary>The organisation's own domains: evidence sources elsewhere count in the purchased-list check.</summary>
    public string[]? OwnDomains { get; set; }
}

/// <summary>/api/v1/imports: CSV imports with proof of consent; /api/v1/lists/{id}/export; /api/v1/settings/imports.</summary>
public static class ImportsApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/imports").WithTags("Imports");
        g.MapPost("/", Create).WithSummary("Uploads a CSV (multipart: file, lists, attestation=true, updateMode, mapping) and answers 202 with the import job.");
        g.MapGet("/", GetAll).WithSummary("The organisation's imports, newest first.");
        g.MapGet("/{id:long}", Get).WithSummary("One import: status, progress, counts per outcome, the purchased-list check.");
        g.MapGet("/{id:long}/report", Report).WithSummary("The import's report: every row with its line, outcome and reason (CSV).");
        api.MapGet("/lists/{id:long}/export", Export).WithTags("Lists").WithSummary("The list's confirmed subscribers as CSV (restricted people left out); recorded in the audit trail.");
        var settings = api.MapGroup("/settings/imports").WithTags("Imports");
        settings.MapGet("/", GetSettings).WithSummary("The import settings.");
        settings.MapPut("/", PutSettings).WithSummary("Changes the import settings.").Accepts<ImportSettingsDto>("application/json");
    }

    internal static ImportDto ToDto(ImportJobRow j, string baseUrl)
    {
        var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(j.Counts) ?? [];
        var percent = j.Status == ImportStatuses.Done ? 100 : j.TotalRows == 0 ? 0 : Math.Round(100.0 * j.ProcessedRows / j.TotalRows, 1);
        return new ImportDto(j.Id, j.Status, j.FileName, j.FileBytes, j.FileSha256, j.ListIdArray, j.UpdateMode, j.NoEvidencePolicy, j.TotalRows, j.ProcessedRows,
            percent, counts, j.Risk is null ? null : JsonDocument.Parse(j.Risk).RootElement.Clone(), j.HeldReasons, j.ReviewNote, j.Error, j.Attestation, j.AttestedBy,
            DateTimeOffset.FromUnixTimeMilliseconds(j.CreatedAt), j.FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
            $"{baseUrl}/api/v1/imports/{j.Id}/report");
    }

    private static async Task<Results<Accepted<ImportDto>, ProblemHttpResult>> Create(HttpContext http, ClaimsPrincipal user, ApiServices s, ImportService imports,
        Microsoft.Extensions.Options.IOptions<Lupa.Hosting.LupaOptions> options, CancellationToken ct)
    {
        var maxBytes = options.Value.Imports.MaxUploadMegabytes * 1024L * 1024L;
        var request = http.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send multipart/form-data with a 'file' part.");
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
            return TypedResults.Problem(statusCode: 400, title: "Invalid multipart body", detail: "The multipart boundary is missing.");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxBytes + 1024 * 1024;
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? temp = null;
        var fileName = "upload.csv";
        try
        {
        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    continue;
                var name = disposition.Name.Value ?? "";
                if (disposition.IsFileDisposition() || name == "file")
                {
                    if (temp is not null)
                        return ApiBody.Invalid("file", "send one file per import");
                    fileName = disposition.FileName.Value ?? disposition.FileNameStar.Value ?? fileName;
                    temp = Path.Combine(Path.GetTempPath(), "lupa-upload-" + Guid.NewGuid().ToString("N"));
                    await using var file = File.Create(temp);
                    var buffer = new byte[1 << 16];
                    long total = 0;
                    int n;
                    while ((n = await section.Body.ReadAsync(buffer, ct)) > 0)
                    {
                        total += n;
                        if (total > maxBytes)
                            return TypedResults.Problem(statusCode: 413, title: "File too large", detail: $"The file must be at most {maxBytes / 1024 / 1024} MB (Lupa:Imports:MaxUploadMegabytes).");
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    }
                }
                else
                {
                    using var sr = new StreamReader(section.Body);
                    var value = await sr.ReadToEndAsync(ct);
                    if (value.Length > 100_000)
                        return ApiBody.Invalid(name, "is too long");
                    fields[name] = fields.TryGetValue(name, out var prev) ? prev + "," + value : value;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return TypedResults.Problem(statusCode: 400, title: "Invalid multipart body", detail: e.Message);
        }
            if (temp is null)
                return ApiBody.Invalid("file", "is required: the CSV to import");
            Dictionary<string, string>? mapping = null;
            if (fields.TryGetValue("mapping", out var m) && m.Length > 0)
            {
                try
                {
                    mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(m);
                }
                catch (JsonException)
                {
                    return ApiBody.Invalid("mapping", "must be a JSON object from header to field, e.g. {\"Sähköposti\":\"email\"}");
                }
            }
            var lists = (fields.GetValueOrDefault("lists") ?? fields.GetValueOrDefault("list") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var attested = fields.GetValueOrDefault("attestation")?.ToLowerInvariant() is "true" or "yes" or "on" or "1";
            await using var content = File.OpenRead(temp);
            var result = await imports.CreateAsync(new ImportRequest(user.OrgId(), lists, fileName, mapping, fields.GetValueOrDefault("updateMode") ?? "update", attested, user.Actor()), content, ct);
            if (!result.IsOk)
                return ApiBody.Invalid(result.Code!, result.Reason!);
            return TypedResults.Accepted($"/api/v1/imports/{result.Value!.Id}", ToDto(result.Value, s.Links.Base));
        }
        finally
        {
            if (temp is not null)
                File.Delete(temp);
        }
    }

    private static async Task<Ok<ImportDto[]>> GetAll(ClaimsPrincipal user, ApiServices s, LupaDatabase db, CancellationToken ct) =>
        TypedResults.Ok((await new ImportStore(db).ListAsync(user.OrgId(), 100, ct)).Select(j => ToDto(j, s.Links.Base)).ToArray());

    private static async Task<Results<Ok<ImportDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, ApiServices s, LupaDatabase db, CancellationToken ct)
    {
        var job = await new ImportStore(db).GetAsync(user.OrgId(), id, ct);
        return job is null ? ApiBody.NotFound("import") : TypedResults.Ok(ToDto(job, s.Links.Base));
    }

    private static async Task<IResult> Report(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, LupaDatabase db, CancellationToken ct)
    {
        var store = new ImportStore(db);
        if (await store.GetAsync(user.OrgId(), id, ct) is null)
            return ApiBody.NotFound("import");
        await s.AuditAsync(user, Lupa.Domain.Privacy.AuditActions.ImportReport, "import:" + id, new { format = "csv" }, ct);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"import-{id}-report.csv\"";
        await foreach (var chunk in store.ReadReportAsync(user.OrgId(), id, ct))
            await http.Response.WriteAsync(chunk, ct);
        return Results.Empty;
    }

    private static async Task<IResult> Export(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, ListExport export, CancellationToken ct)
    {
        var list = await s.Store(user).GetListAsync(id, ct);
        if (list is null)
            return ApiBody.NotFound("list");
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{list.Slug}.csv\"";
        await export.WriteAsync(user.OrgId(), list, http.Response.Body, user.Actor(), null, ct);
        return Results.Empty;
    }

    private static async Task<Ok<ImportSettingsDto>> GetSettings(ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var (policy, domains) = await s.Store(user).GetImportSettingsAsync(ct);
        return TypedResults.Ok(new ImportSettingsDto { NoEvidencePolicy = policy, OwnDomains = domains });
    }

    private static async Task<Results<Ok<ImportSettingsDto>, ProblemHttpResult>> PutSettings(HttpContext http, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<ImportSettingsDto>(http);
        if (problem is not null)
            return problem;
        var store = s.Store(user);
        var (policy, domains) = await store.GetImportSettingsAsync(ct);
        policy = input!.NoEvidencePolicy ?? policy;
        if (!NoEvidencePolicies.IsKnown(policy))
            return ApiBody.Invalid("noEvidencePolicy", "must be 'refuse' or 'repermission'");
        var newDomains = input.OwnDomains ?? domains;
        foreach (var d in newDomains)
        {
            if (!Domain.EmailAddress.Parse("x@" + d).IsOk)
                return ApiBody.Invalid("ownDomains", $"'{d}' is not a domain name");
        }
        await store.SetImportSettingsAsync(policy, newDomains.Select(d => d.Trim().ToLowerInvariant()), ct);
        return await GetSettings(user, s, ct);
    }
}
