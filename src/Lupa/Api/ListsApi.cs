using System.Security.Claims;
using Lupa.Domain;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A list as the API shows it.</summary>
public sealed record ListDto(
    long Id, string Slug, string Name, string Description, string Language, string OptInMode, string Purpose, string LegalBasis,
    string ConsentWording, int ConsentWordingVersion, string ConsentWordingHash, string FormUrl, DateTimeOffset CreatedAt);

/// <summary>A consent wording version.</summary>
public sealed record ConsentWordingDto(int Version, string Text, string Hash, DateTimeOffset CreatedAt);

/// <summary>The body of POST /api/v1/lists and PUT /api/v1/lists/{id}.</summary>
public sealed class ListInput
{
    /// <summary>Display name.</summary>
    public string? Name { get; set; }

    /// <summary>URL name, unique in the organisation: a-z, 0-9 and hyphens.</summary>
    public string? Slug { get; set; }

    /// <summary>What subscribers get.</summary>
    public string? Description { get; set; }

    /// <summary><c>fi</c> or <c>en</c>; default <c>en</c>.</summary>
    public string? Language { get; set; }

    /// <summary><c>double</c> (default) or <c>single</c>.</summary>
    public string? OptInMode { get; set; }

    /// <summary>The purpose of processing, shown in the privacy notice.</summary>
    public string? Purpose { get; set; }

    /// <summary><c>consent</c> (default) or <c>customer</c> (soft opt-in of existing customers).</summary>
    public string? LegalBasis { get; set; }

    /// <summary>The exact text next to the consent checkbox; a change makes a new version.</summary>
    public string? ConsentWording { get; set; }
}

/// <summary>/api/v1/lists: create, read and change lists.</summary>
public static class ListsApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/lists").WithTags("Lists");
        g.MapGet("/", GetAll).WithSummary("The organisation's lists.");
        g.MapPost("/", Create).WithSummary("Creates a list.").Accepts<ListInput>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One list.");
        g.MapPut("/{id:long}", Update).WithSummary("Changes a list; a changed consent wording becomes a new version.").Accepts<ListInput>("application/json");
        g.MapGet("/{id:long}/consent-wordings", Wordings).WithSummary("Every version of the list's consent wording.");
    }

    internal static ListDto ToDto(ListRow l, string orgSlug, string baseUrl) => new(
        l.Id, l.Slug, l.Name, l.Description, l.Language, l.OptInMode, l.Purpose, l.LegalBasis, l.WordingText, l.WordingVersion, l.WordingHash,
        $"{baseUrl}/s/{orgSlug}/{l.Slug}", DateTimeOffset.FromUnixTimeMilliseconds(l.CreatedAt));

    private static async Task<Ok<ListDto[]>> GetAll(ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var org = await s.OrganisationAsync(user, ct);
        var lists = await s.Store(user).ListListsAsync(ct);
        return TypedResults.Ok(lists.Select(l => ToDto(l, org.Slug, s.Links.Base)).ToArray());
    }

    private static async Task<Results<Ok<ListDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var org = await s.OrganisationAsync(user, ct);
        var list = await s.Store(user).GetListAsync(id, ct);
        return list is null ? ApiBody.NotFound("list") : TypedResults.Ok(ToDto(list, org.Slug, s.Links.Base));
    }

    private static async Task<Results<Ok<ConsentWordingDto[]>, ProblemHttpResult>> Wordings(long id, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        if (await store.GetListAsync(id, ct) is null)
            return ApiBody.NotFound("list");
        var rows = await store.ListWordingsAsync(id, ct);
        return TypedResults.Ok(rows.Select(w => new ConsentWordingDto(w.Version, w.Text, w.Hash, DateTimeOffset.FromUnixTimeMilliseconds(w.CreatedAt))).ToArray());
    }

    private static async Task<Results<Created<ListDto>, ProblemHttpResult>> Create(HttpContext http, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<ListInput>(http);
        if (problem is not null)
            return problem;
        var org = await s.OrganisationAsync(user, ct);
        var (fields, wording, invalid) = Validate(input!, org.Name, existing: null);
        if (invalid is not null)
            return invalid;
        var list = await s.Store(user).CreateListAsync(fields!, wording!, ConsentWording.Hash(wording!), s.Now(), ct);
        if (list is null)
            return ApiBody.Conflict("slug", $"a list with slug '{fields!.Slug}' exists in this organisation");
        var dto = ToDto(list, org.Slug, s.Links.Base);
        return TypedResults.Created($"/api/v1/lists/{list.Id}", dto);
    }

    private static async Task<Results<Ok<ListDto>, ProblemHttpResult>> Update(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        var existing = await store.GetListAsync(id, ct);
        if (existing is null)
            return ApiBody.NotFound("list");
        var (input, problem) = await ApiBody.ReadAsync<ListInput>(http);
        if (problem is not null)
            return problem;
        var org = await s.OrganisationAsync(user, ct);
        var (fields, wording, invalid) = Validate(input!, org.Name, existing);
        if (invalid is not null)
            return invalid;
        try
        {
            var list = await store.UpdateListAsync(id, fields!, wording!, ConsentWording.Hash(wording!), s.Now(), ct);
            return list is null ? ApiBody.NotFound("list") : TypedResults.Ok(ToDto(list, org.Slug, s.Links.Base));
        }
        catch (SlugTakenException)
        {
            return ApiBody.Conflict("slug", $"a list with slug '{fields!.Slug}' exists in this organisation");
        }
    }

    /// <summary>Checks a list's fields; on update, missing fields keep their values.</summary>
    internal static (ListFields? Fields, string? Wording, ProblemHttpResult? Problem) Validate(ListInput i, string orgName, ListRow? existing)
    {
        var name = (i.Name ?? existing?.Name)?.Trim();
        if (string.IsNullOrEmpty(name))
            return (null, null, ApiBody.Invalid("name", "is required"));
        if (TextRules.NameProblem(name, 200) is { } p1)
            return (null, null, ApiBody.Invalid("name", p1));
        var slug = (i.Slug ?? existing?.Slug)?.Trim();
        if (TextRules.SlugProblem(slug) is { } p2)
            return (null, null, ApiBody.Invalid("slug", p2));
        var description = i.Description ?? existing?.Description ?? "";
        if (description.Length > 4000)
            return (null, null, ApiBody.Invalid("description", "must be at most 4000 characters"));
        var language = i.Language ?? existing?.Language ?? Languages.English;
        if (!Languages.IsSupported(language))
            return (null, null, ApiBody.Invalid("language", "must be 'fi' or 'en'"));
        var mode = i.OptInMode ?? existing?.OptInMode ?? OptInModes.Double;
        if (!OptInModes.IsKnown(mode))
            return (null, null, ApiBody.Invalid("optInMode", "must be 'double' or 'single'"));
        var purpose = (i.Purpose ?? existing?.Purpose ?? "").Trim();
        if (purpose.Length == 0)
            purpose = "Sending " + name + " by email";
        if (purpose.Length > 2000)
            return (null, null, ApiBody.Invalid("purpose", "must be at most 2000 characters"));
        var basis = i.LegalBasis ?? existing?.LegalBasis ?? LegalBases.Consent;
        if (!LegalBases.IsKnown(basis))
            return (null, null, ApiBody.Invalid("legalBasis", "must be 'consent' or 'customer'"));
        var wording = (i.ConsentWording ?? existing?.WordingText)?.Trim();
        if (string.IsNullOrEmpty(wording))
            wording = PublicText.DefaultWording(language, orgName, name);
        if (wording.Length > ConsentWording.MaxLength)
            return (null, null, ApiBody.Invalid("consentWording", $"must be at most {ConsentWording.MaxLength} characters"));
        return (new ListFields(slug!, name, description, language, mode, purpose, basis), wording, null);
    }
}
