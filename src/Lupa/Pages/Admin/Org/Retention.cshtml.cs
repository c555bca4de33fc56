using System.Text.Json;
using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/privacy/retention: the retention policy (with its defaults), a dry run that counts what it would
/// remove, a run now, and the log of every run with what it removed. For the privacy officer, owners and admins.
/// </summary>
public sealed class RetentionModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, RetentionService retention)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Runs shown.</summary>
    public const int RunsShown = 60;

    /// <summary>The policy in force, with who set it.</summary>
    public StoredRetentionPolicy Stored { get; private set; } = null!;

    /// <summary>The values in the form (as typed when refused).</summary>
    public RetentionPolicy Form { get; private set; } = RetentionPolicy.Default;

    /// <summary>The field a refusal is about.</summary>
    public string? ProblemField { get; private set; }

    /// <summary>The log, newest first.</summary>
    public IReadOnlyList<RetentionRunRow> Runs { get; private set; } = [];

    /// <summary>What a dry run counted, when one was asked for.</summary>
    public IReadOnlyDictionary<string, long>? DryRun { get; private set; }

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Shows the policy and the log.</summary>
    public async Task OnGetAsync(string? done, CancellationToken ct)
    {
        await LoadAsync(ct);
        Form = Stored.Policy;
        Notice = done switch
        {
            "saved" => "Saved. The next run applies it.",
            "ran" => "Retention ran; what it removed is at the top of the log.",
            _ => null,
        };
    }

    /// <summary>Saves the policy.</summary>
    public async Task<IActionResult> OnPostSaveAsync([FromForm] int? pendingDays, [FromForm] int? trackingMonths, [FromForm] int? unsubscribedMonths,
        [FromForm] int? closedRequestYears, CancellationToken ct)
    {
        var policy = new RetentionPolicy(pendingDays ?? 0, trackingMonths ?? 0, unsubscribedMonths ?? 0, closedRequestYears ?? 0);
        var set = await retention.SetPolicyAsync(Organisation.Id, policy, Person.Email, ct);
        if (set.IsOk)
            return LocalRedirect(OrgUrl("privacy/retention") + "?done=saved");
        await LoadAsync(ct);
        Form = policy;
        ProblemField = set.Code;
        Refuse(AdminText.Sentence($"{Label(set.Code!)} {set.Reason}"));
        return Page();
    }

    /// <summary>Counts what a run would remove now, changing nothing.</summary>
    public async Task<IActionResult> OnPostDryRunAsync(CancellationToken ct)
    {
        DryRun = (await retention.RunAsync(Organisation, Person.Email, dryRun: true, null, null, ct)).Counts;
        await LoadAsync(ct);
        Form = Stored.Policy;
        return Page();
    }

    /// <summary>Runs the policy now.</summary>
    public async Task<IActionResult> OnPostRunAsync(CancellationToken ct)
    {
        await retention.RunAsync(Organisation, Person.Email, dryRun: false, null, null, ct);
        return LocalRedirect(OrgUrl("privacy/retention") + "?done=ran");
    }

    /// <summary>A run's counts.</summary>
    public static IReadOnlyDictionary<string, long> Counts(RetentionRunRow r) => JsonSerializer.Deserialize<Dictionary<string, long>>(r.Counts) ?? [];

    /// <summary>A run's status as shown: a run that never finished a day after it began was interrupted.</summary>
    public string StatusOf(RetentionRunRow r) => r.Status == "running" && Now() - r.StartedAt > 86_400_000 ? "interrupted" : r.Status;

    /// <summary>A form field's label.</summary>
    public static string Label(string field) => field switch
    {
        "pendingDays" => "Unconfirmed subscriptions:",
        "trackingMonths" => "Delivery and tracking records:",
        "unsubscribedMonths" => "Unsubscribed people:",
        "closedRequestYears" => "Closed requests:",
        _ => field,
    };

    private async Task LoadAsync(CancellationToken ct)
    {
        var store = retention.For(Organisation.Id);
        Stored = await store.GetPolicyAsync(ct);
        Runs = await store.ListRunsAsync(RunsShown, 0, ct);
    }
}
