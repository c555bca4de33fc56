namespace Lupa.Domain.Imports;

/// <summary>The one outcome each import row ends in.</summary>
public static class ImportOutcomes
{
    /// <summary>Evidence present and plausible: confirmed with a consent record.</summary>
    public const string Confirmed = "confirmed";

    /// <summary>An existing customer under the soft opt-in: confirmed and recorded as such.</summary>
    public const string ConfirmedCustomer = "confirmed_customer";

    /// <summary>No evidence, and the organisation refuses such rows.</summary>
    public const string RefusedNoEvidence = "refused_no_evidence";

    /// <summary>No evidence: pending, with a re-permission confirmation mail.</summary>
    public const string PendingRepermission = "pending_repermission";

    /// <summary>Already a subscriber: attributes handled by the update mode, consent history appended.</summary>
    public const string Existing = "existing";

    /// <summary>On the suppression list (the reason says which).</summary>
    public const string SkippedSuppressed = "skipped_suppressed";

    /// <summary>Not a usable address.</summary>
    public const string SkippedInvalidAddress = "skipped_invalid_address";

    /// <summary>The address appeared earlier in the same file.</summary>
    public const string SkippedDuplicate = "skipped_duplicate";

    /// <summary>The row could not be read (broken quoting, junk, implausible evidence).</summary>
    public const string SkippedMalformed = "skipped_malformed";

    /// <summary>Every outcome, in report order.</summary>
    public static readonly IReadOnlyList<string> All =
        [Confirmed, ConfirmedCustomer, Existing, PendingRepermission, RefusedNoEvidence, SkippedSuppressed, SkippedInvalidAddress, SkippedDuplicate, SkippedMalformed];
}

/// <summary>What the organisation does with rows that carry no evidence of consent.</summary>
public static class NoEvidencePolicies
{
    /// <summary>Refuse them (the default).</summary>
    public const string Refuse = "refuse";

    /// <summary>Keep them pending and send a re-permission confirmation mail.</summary>
    public const string Repermission = "repermission";

    /// <summary>True for a known policy.</summary>
    public static bool IsKnown(string? p) => p is Refuse or Repermission;
}
