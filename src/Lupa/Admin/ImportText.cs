using System.Globalization;
using System.Text.Json;
using Lupa.Domain.Imports;
using Lupa.Storage;

namespace Lupa.Admin;

/// <summary>How the admin UI names import statuses, outcomes and the purchased-list check's figures.</summary>
public static class ImportText
{
    /// <summary>A sentence on what an import in this status is doing.</summary>
    public static string Status(string status) => status switch
    {
        ImportStatuses.Queued => "Waiting for a worker. The purchased-list check runs first, over the whole file.",
        ImportStatuses.Held => "Held by the purchased-list check: waiting for the operator's review. Nothing from it has been activated.",
        ImportStatuses.Running => "The rows are being applied, batch by batch.",
        ImportStatuses.Done => "Every row has its outcome.",
        ImportStatuses.Rejected => "The operator rejected it. Nothing from it was activated.",
        ImportStatuses.Failed => "The file could not be imported. Nothing from it was activated.",
        _ => status,
    };

    /// <summary>True while the import page should refresh itself.</summary>
    public static bool IsActive(string status) => status is ImportStatuses.Queued or ImportStatuses.Running;

    /// <summary>What an outcome means.</summary>
    public static string Outcome(string outcome) => outcome switch
    {
        ImportOutcomes.Confirmed => "Confirmed: evidence of consent",
        ImportOutcomes.ConfirmedCustomer => "Confirmed: existing customer (soft opt-in)",
        ImportOutcomes.Existing => "Already a subscriber: consent history appended",
        ImportOutcomes.PendingRepermission => "Pending: re-permission mail",
        ImportOutcomes.RefusedNoEvidence => "Refused: no evidence of consent",
        ImportOutcomes.SkippedSuppressed => "Skipped: suppressed or unsubscribed",
        ImportOutcomes.SkippedInvalidAddress => "Skipped: not a usable address",
        ImportOutcomes.SkippedDuplicate => "Skipped: appears earlier in the file",
        ImportOutcomes.SkippedMalformed => "Skipped: the row could not be read",
        _ => outcome,
    };

    /// <summary>The badge class of an outcome: green for subscribed, amber for pending, red for refused or skipped.</summary>
    public static string OutcomeClass(string outcome) => outcome switch
    {
        ImportOutcomes.Confirmed or ImportOutcomes.ConfirmedCustomer or ImportOutcomes.Existing => "confirmed",
        ImportOutcomes.PendingRepermission => "pending",
        _ => "unsubscribed",
    };

    /// <summary>What a purchased-list figure counts.</summary>
    public static string Figure(string name) => name switch
    {
        "role_addresses" => "Role addresses (info@, sales@, …)",
        "disposable_domains" => "Disposable-mail domains",
        "without_evidence" => "Rows without evidence of consent",
        "clustered_consent_times" => "Consents in the busiest minute",
        "sources_outside_own_domains" => "Evidence sources outside the own domains",
        _ => name.Replace('_', ' '),
    };

    /// <summary>What the no-evidence policy does, as a sentence.</summary>
    public static string Policy(string policy) => policy switch
    {
        NoEvidencePolicies.Refuse => "Rows without evidence of consent are refused (refused_no_evidence); existing customers need legal_basis customer and customer_since.",
        NoEvidencePolicies.Repermission => "Rows without evidence of consent are kept pending and sent a re-permission mail; they are subscribed only if the person confirms.",
        _ => policy,
    };

    /// <summary>A share as a percentage.</summary>
    public static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>True for a figure above its threshold that the check did not count, because there were too few rows to judge.</summary>
    public static bool NotJudged(RiskFigure f) => !f.Exceeded && f.Share > f.Threshold;

    /// <summary>The counts per outcome of an import (every outcome, zero when absent).</summary>
    public static IReadOnlyList<(string Outcome, long Count)> Counts(ImportJobRow job)
    {
        var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(job.Counts) ?? [];
        return ImportOutcomes.All.Select(o => (o, counts.GetValueOrDefault(o))).ToList();
    }

    /// <summary>The purchased-list check's figures, or none before the check ran.</summary>
    public static IReadOnlyList<RiskFigure> Risk(ImportJobRow job) =>
        job.Risk is null ? [] : JsonSerializer.Deserialize<List<RiskFigure>>(job.Risk, JsonSerializerOptions.Web) ?? [];

    /// <summary>Rows done, rows in all and the share done (1 when the import is done).</summary>
    public static (long Done, long Total, double Share) Progress(ImportJobRow job)
    {
        if (job.Status == ImportStatuses.Done)
            return (job.ProcessedRows, Math.Max(job.TotalRows, job.ProcessedRows), 1);
        return (job.ProcessedRows, job.TotalRows, job.TotalRows == 0 ? 0 : Math.Min(1, (double)job.ProcessedRows / job.TotalRows));
    }

    /// <summary>A size in bytes as people read it.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };
}
