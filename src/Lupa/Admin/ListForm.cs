using Lupa.Api;
using Lupa.Domain;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Admin;

/// <summary>The list form of the admin UI; checked by the same rules as the API (<see cref="ListsApi"/>).</summary>
public sealed class ListForm
{
    /// <summary>Display name.</summary>
    public string? Name { get; set; }

    /// <summary>URL name.</summary>
    public string? Slug { get; set; }

    /// <summary>What subscribers get.</summary>
    public string? Description { get; set; }

    /// <summary>fi or en.</summary>
    public string? Language { get; set; } = Languages.English;

    /// <summary>double or single.</summary>
    public string? OptInMode { get; set; } = OptInModes.Double;

    /// <summary>Purpose of processing.</summary>
    public string? Purpose { get; set; }

    /// <summary>consent or customer.</summary>
    public string? LegalBasis { get; set; } = LegalBases.Consent;

    /// <summary>The text next to the consent checkbox.</summary>
    public string? ConsentWording { get; set; }

    /// <summary>The form filled from a stored list.</summary>
    public static ListForm From(ListRow l) => new()
    {
        Name = l.Name,
        Slug = l.Slug,
        Description = l.Description,
        Language = l.Language,
        OptInMode = l.OptInMode,
        Purpose = l.Purpose,
        LegalBasis = l.LegalBasis,
        ConsentWording = l.WordingText,
    };

    /// <summary>
    /// Checks the form. Every field is sent by the form, so an emptied field counts as empty (not as
    /// "keep the old value", which is what a missing field means to the API). Returns the fields and
    /// wording to store, or the reason and status code to refuse with.
    /// </summary>
    public (ListFields? Fields, string? Wording, string? Error, int Status) Check(string orgName, ListRow? existing)
    {
        if (AdminText.NameProblem(Name) is { } np)
            return (null, null, AdminText.Sentence("name " + np), StatusCodes.Status422UnprocessableEntity);
        var input = new ListInput
        {
            Name = Name ?? "",
            Slug = (Slug ?? "").Trim(),
            Description = Description ?? "",
            Language = Language ?? "",
            OptInMode = OptInMode ?? "",
            Purpose = Purpose ?? "",
            LegalBasis = LegalBasis ?? "",
            ConsentWording = ConsentWording ?? "",
        };
        var (fields, wording, problem) = ListsApi.Validate(input, orgName, existing);
        if (problem is not null)
            return (null, null, AdminText.Sentence(Detail(problem)), problem.StatusCode);
        return (fields, wording, null, StatusCodes.Status200OK);
    }

    private static string Detail(ProblemHttpResult p) => p.ProblemDetails.Detail ?? p.ProblemDetails.Title ?? "the list is not valid";
}
