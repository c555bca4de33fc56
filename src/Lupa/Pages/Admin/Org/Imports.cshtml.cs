using Lupa.Admin;
using Lupa.Domain;
using Lupa.Domain.Imports;
using Lupa.Hosting;
using Lupa.Imports;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Lupa.Pages.Admin.Org;

/// <summary>A staged upload in the column-mapping step (step 2 of a new import).</summary>
public sealed record StagedImport(
    string Token, string FileName, long Bytes, string Encoding, IReadOnlyList<string> Header, IReadOnlyList<string[]> Preview,
    IReadOnlyDictionary<string, string> Mapping, bool Attested, IReadOnlyList<string> Warnings)
{
    /// <summary>Each header once, in file order (columns with the same header share one mapping).</summary>
    public IReadOnlyList<string> Columns => Header.Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>
/// /admin/o/{org}/imports: the organisation's imports, a new import in two steps (upload, then map the
/// columns and attest), and the organisation's import settings.
/// </summary>
[ImportUploadLimits]
public sealed class ImportsModel(SystemStore system, LupaDatabase db, TimeProvider clock, ImportService imports, IOptions<LupaOptions> options)
    : OrgPageModel(system, db, clock)
{
    /// <summary>Columns the mapping step handles; wider files go through the API with a mapping.</summary>
    public const int MaxColumns = 200;

    /// <summary>Data rows shown under the mapping.</summary>
    public const int PreviewRows = 5;

    private readonly ImportStore _imports = new(db);

    /// <summary>The organisation's imports, newest first.</summary>
    public IReadOnlyList<ImportJobRow> Imports { get; private set; } = [];

    /// <summary>The organisation's lists.</summary>
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    /// <summary>The no-evidence policy.</summary>
    public string Policy { get; private set; } = NoEvidencePolicies.Refuse;

    /// <summary>The own domains.</summary>
    public IReadOnlyList<string> OwnDomains { get; private set; } = [];

    /// <summary>The lists chosen in the form (ids).</summary>
    public IReadOnlyList<string> SelectedLists { get; private set; } = [];

    /// <summary>The update mode chosen in the form.</summary>
    public string UpdateMode { get; private set; } = "update";

    /// <summary>The upload in its mapping step, when step 2 is shown.</summary>
    public StagedImport? Staged { get; private set; }

    /// <summary>The settings form was refused (its error shows by it, not by the import form).</summary>
    public bool SettingsRefused { get; private set; }

    /// <summary>What the last change did.</summary>
    public string? Notice { get; private set; }

    /// <summary>The names of the lists an import goes to.</summary>
    public string ListNames(ImportJobRow job) =>
        string.Join(", ", job.ListIdArray.Select(id => Lists.FirstOrDefault(l => l.Id == id)?.Name ?? "#" + id));

    /// <summary>The names of the chosen lists.</summary>
    public string SelectedListNames => string.Join(", ", SelectedLists.Select(id => Lists.FirstOrDefault(l => l.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == id)?.Name ?? id));

    /// <summary>Shows the imports and the upload form.</summary>
    public async Task OnGetAsync(bool saved, CancellationToken ct)
    {
        if (saved)
            Notice = "Import settings saved.";
        await LoadAsync(ct);
    }

    /// <summary>Step 1: keeps the upload aside (nothing is queued yet) and shows its columns for mapping.</summary>
    public async Task<IActionResult> OnPostUploadAsync(IFormFile? file, [FromForm] string[]? lists, [FromForm] string? updateMode, CancellationToken ct)
    {
        if (DenyUnlessEdit() is { } denied)
            return denied;
        await LoadAsync(ct);
        SelectedLists = lists ?? [];
        UpdateMode = updateMode ?? "";
        if (FormProblem() is { } problem)
        {
            Refuse(problem);
            return Page();
        }
        if (file is null || file.Length == 0)
        {
            Refuse("Choose a CSV file to upload.");
            return Page();
        }
        var o = options.Value;
        ImportStaging.Sweep(o, DateTimeOffset.FromUnixTimeMilliseconds(Now()));
        string token, path;
        try
        {
            await using var content = file.OpenReadStream();
            (token, path) = await ImportStaging.SaveAsync(o, Organisation.Id, content, ct);
        }
        catch (InvalidDataException e)
        {
            Refuse(AdminText.Sentence(e.Message), StatusCodes.Status413PayloadTooLarge);
            return Page();
        }
        var fileName = Path.GetFileName(file.FileName);
        if (TextRules.SingleLineProblem(fileName, 255) is not null || fileName.Length == 0)
            fileName = "upload.csv";
        var (staged, error) = Read(token, path, fileName, mapping: null, attested: false);
        if (staged is null)
        {
            System.IO.File.Delete(path);
            Refuse(error!);
            return Page();
        }
        Staged = staged;
        return Page();
    }

    /// <summary>Step 2: queues the import with the mapping and the attestation, then shows it.</summary>
    public async Task<IActionResult> OnPostStartAsync([FromForm] string? staged, [FromForm] string? fileName, [FromForm] string[]? lists, [FromForm] string? updateMode, [FromForm] bool attestation, CancellationToken ct)
    {
        if (DenyUnlessEdit() is { } denied)
            return denied;
        await LoadAsync(ct);
        SelectedLists = lists ?? [];
        UpdateMode = updateMode ?? "";
        var path = ImportStaging.PathOf(options.Value, Organisation.Id, staged);
        if (path is null || !System.IO.File.Exists(path))
        {
            Refuse("The upload is no longer waiting for its mapping (it expired, or was already started). Upload the file again.");
            return Page();
        }
        var name = Path.GetFileName(fileName ?? "");
        if (TextRules.SingleLineProblem(name, 255) is not null || name.Length == 0)
            name = "upload.csv";
        var posted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Request.Form)
        {
            if (key.Length >= 5 && key.StartsWith("map[", StringComparison.Ordinal) && key.EndsWith(']'))
                posted[key[4..^1]] = value.ToString();
        }
        var (read, error) = Read(staged!, path, name, posted, attestation);
        if (read is null)
        {
            System.IO.File.Delete(path);
            Refuse(error!);
            return Page();
        }
        Staged = read;
        if ((FormProblem() ?? MappingProblem(read, posted)) is { } problem)
        {
            Refuse(problem);
            return Page();
        }
        if (!attestation)
        {
            Refuse("Tick the attestation to start the import: Lupa imports only lists the organisation may use. Nothing was imported.");
            return Page();
        }
        Outcome<ImportJobRow> result;
        await using (var content = System.IO.File.OpenRead(path))
            result = await imports.CreateAsync(new ImportRequest(Organisation.Id, SelectedLists, name, read.Mapping, UpdateMode, true, Person.Email), content, ct);
        if (!result.IsOk)
        {
            Refuse(AdminText.Sentence(result.Reason ?? "the import could not be started"));
            return Page();
        }
        System.IO.File.Delete(path);
        return LocalRedirect(OrgUrl("imports/" + result.Value!.Id));
    }

    /// <summary>Changes the no-evidence policy and the own domains.</summary>
    public async Task<IActionResult> OnPostSettingsAsync([FromForm] string? noEvidencePolicy, [FromForm] string? ownDomains, CancellationToken ct)
    {
        if (!CanAdminister)
            return ForbiddenPage("The import settings are for the organisation's owners and admins.");
        await LoadAsync(ct);
        var domains = (ownDomains ?? "").Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.ToLowerInvariant()).Distinct().ToList();
        string? problem = null;
        if (!NoEvidencePolicies.IsKnown(noEvidencePolicy))
            problem = "Choose what happens to rows without evidence: refuse or repermission.";
        else if (domains.Count > 100)
            problem = "Name at most 100 own domains.";
        else if (domains.FirstOrDefault(d => !EmailAddress.Parse("x@" + d).IsOk) is { } bad)
            problem = $"'{bad}' is not a domain name.";
        if (problem is not null)
        {
            SettingsRefused = true;
            Policy = NoEvidencePolicies.IsKnown(noEvidencePolicy) ? noEvidencePolicy! : Policy;
            OwnDomains = domains;
            Refuse(problem);
            return Page();
        }
        await Store.SetImportSettingsAsync(noEvidencePolicy!, domains, ct);
        return LocalRedirect(OrgUrl("imports") + "?saved=true");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Imports = await _imports.ListAsync(Organisation.Id, 100, ct);
        Lists = await Store.ListListsAsync(ct);
        (Policy, var domains) = await Store.GetImportSettingsAsync(ct);
        OwnDomains = domains;
    }

    // The lists and the update mode of steps 1 and 2.
    private string? FormProblem()
    {
        if (Lists.Count == 0)
            return "Create a list first: an import adds people to lists.";
        if (SelectedLists.Count == 0)
            return "Choose at least one list to import into.";
        if (SelectedLists.FirstOrDefault(id => !Lists.Any(l => l.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == id)) is { } unknown)
            return $"There is no list '{unknown}' in this organisation.";
        if (UpdateMode is not ("update" or "keep"))
            return "Choose whether existing subscribers are updated or kept.";
        return null;
    }

    // Every posted column is one of the file's, each field is mapped once, and one column is the email address.
    private static string? MappingProblem(StagedImport staged, Dictionary<string, string> posted)
    {
        if (posted.Keys.FirstOrDefault(k => !staged.Header.Contains(k, StringComparer.Ordinal)) is { } stray)
            return $"The file has no column '{stray}'.";
        foreach (var (column, target) in staged.Mapping)
        {
            if (!Targets(column).Contains(target, StringComparer.Ordinal))
                return $"Column '{column}' cannot be mapped to '{target}'.";
        }
        var map = ImportColumns.Map(staged.Header, staged.Mapping);
        foreach (var field in ImportColumns.Known)
        {
            var columns = staged.Header.Where((_, i) => map[i] == field).Distinct().ToList();
            if (columns.Count > 1)
                return $"Map each field to one column only: {string.Join(" and ", columns.Select(c => $"'{c}'"))} are both mapped to {field}.";
        }
        if (!map.Contains(ImportColumns.Email))
            return "Map one column to email: every row needs an address.";
        return null;
    }

    /// <summary>What a column can be mapped to: each known field, an attribute named after it (when that is a valid name), or ignore.</summary>
    public static IReadOnlyList<string> Targets(string column)
    {
        var targets = new List<string>(ImportColumns.Known);
        if (ImportColumns.TargetProblem("attribute:" + column) is null)
            targets.Add("attribute:" + column);
        targets.Add("ignore");
        return targets;
    }

    // Opens a staged file: its header, the first rows, and the mapping (posted, else guessed from the headers).
    private static (StagedImport? Staged, string? Error) Read(string token, string path, string fileName, IReadOnlyDictionary<string, string>? mapping, bool attested)
    {
        var (file, problem) = ImportFile.Open(path);
        if (file is null)
            return (null, $"Lupa cannot read “{fileName}”: {problem}. Upload a CSV file (UTF-8 or Windows-1252, separated by commas, semicolons or tabs) whose first line names the columns.");
        var header = file.Header;
        if (header.All(h => h.Length == 0))
            return (null, $"The first line of “{fileName}” has no column names. The first line must name the columns, for example: email,name,consent_at,consent_method.");
        if (header.Length > MaxColumns)
            return (null, $"“{fileName}” has {header.Length} columns; the admin UI maps up to {MaxColumns}. Leave out the columns you do not need, or import it through the API with a mapping.");
        var preview = file.DataRecords().Take(PreviewRows).Select(r => r.Fields).ToList();
        var guessed = ImportColumns.Map(header, null);
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var column = header[i];
            if (chosen.ContainsKey(column))
                continue;
            var guess = guessed[i] ?? "ignore";
            if (!Targets(column).Contains(guess, StringComparer.Ordinal))
                guess = "ignore";
            chosen[column] = mapping is not null && mapping.TryGetValue(column, out var posted) ? posted : guess;
        }
        var warnings = new List<string>();
        if (header.Any(h => h.Contains('@', StringComparison.Ordinal) && EmailAddress.Parse(h).IsOk))
            warnings.Add("The first line looks like an address, not a column name: the first line must be the header, or its row is lost.");
        if (preview.Count == 0)
            warnings.Add("There are no rows under the header.");
        if (header.Length != header.Distinct(StringComparer.Ordinal).Count())
            warnings.Add("Some columns have the same name; they share one mapping.");
        return (new StagedImport(token, fileName, new FileInfo(path).Length, file.EncodingName, header, preview, chosen, attested, warnings), null);
    }
}
