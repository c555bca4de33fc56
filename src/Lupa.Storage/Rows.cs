namespace Lupa.Storage;

#pragma warning disable CS1591 // row types mirror their tables; the columns are documented in the migrations

public sealed class OrganisationRow
{
    public long Id { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public long CreatedAt { get; init; }
}

public sealed class PersonRow
{
    public long Id { get; init; }
    public long? OrgId { get; init; }
    public string Email { get; init; } = "";
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? DisabledAt { get; init; }
}

public sealed class ApiKeyRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Name { get; init; } = "";
    public string Prefix { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? RevokedAt { get; init; }
}

public sealed class PrivacyNoticeRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public int Version { get; init; }
    public string Content { get; init; } = "";
    public long CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "";
}

public sealed class ListRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public string Language { get; init; } = "";
    public string OptInMode { get; init; } = "";
    public string Purpose { get; init; } = "";
    public string LegalBasis { get; init; } = "";
    public long CreatedAt { get; init; }
    public int WordingVersion { get; init; }
    public string WordingText { get; init; } = "";
    public string WordingHash { get; init; } = "";
}

public sealed class ConsentWordingRow
{
    public long Id { get; init; }
    public long ListId { get; init; }
    public int Version { get; init; }
    public string Text { get; init; } = "";
    public string Hash { get; init; } = "";
    public long CreatedAt { get; init; }
}

public sealed class SubscriberRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Email { get; init; } = "";
    public string Name { get; init; } = "";
    public string Language { get; init; } = "";
    public string Attributes { get; init; } = "{}";
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? RestrictedAt { get; init; }
    public long? SuppressedAt { get; init; }
    public long? ObjectedProfilingAt { get; init; }
}

public sealed class SubscriptionRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long SubscriberId { get; init; }
    public long ListId { get; init; }
    public string ListSlug { get; init; } = "";
    public string ListName { get; init; } = "";
    public string Status { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? ConfirmedAt { get; init; }
    public long? UnsubscribedAt { get; init; }
    public long? ConfirmationSentAt { get; init; }
    public long? RequestAt { get; init; }
    public string? RequestIp { get; init; }
    public string? RequestUserAgent { get; init; }
    public string? RequestSource { get; init; }
    public int? RequestWordingVersion { get; init; }
    public int? RequestNoticeVersion { get; init; }
}

public sealed class ConsentRecordRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long SubscriberId { get; init; }
    public long ListId { get; init; }
    public string ListSlug { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Method { get; init; } = "";
    public long OccurredAt { get; init; }
    public string? Ip { get; init; }
    public string? UserAgent { get; init; }
    public string? Source { get; init; }
    public int? WordingVersion { get; init; }
    public string? WordingText { get; init; }
    public string? WordingHash { get; init; }
    public int? PrivacyNoticeVersion { get; init; }
    public long? FormSubmittedAt { get; init; }
    public string? FormIp { get; init; }
    public string? FormUserAgent { get; init; }
    public string? Actor { get; init; }
    public string? EvidenceMethod { get; init; }
    public string? LegalBasis { get; init; }
    public long? ImportId { get; init; }
    public long RecordedAt { get; init; }
}

/// <summary>A consent record about to be written.</summary>
public sealed class NewConsentRecord
{
    public long SubscriberId { get; init; }
    public long ListId { get; init; }
    public string Kind { get; init; } = "";
    public string Method { get; init; } = "";
    public long OccurredAt { get; init; }
    public string? Ip { get; init; }
    public string? UserAgent { get; init; }
    public string? Source { get; init; }
    public int? WordingVersion { get; init; }
    public string? WordingText { get; init; }
    public string? WordingHash { get; init; }
    public int? PrivacyNoticeVersion { get; init; }
    public long? FormSubmittedAt { get; init; }
    public string? FormIp { get; init; }
    public string? FormUserAgent { get; init; }
    public string? Actor { get; init; }
}

public sealed class OutboxRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Purpose { get; init; } = "";
    public string MessageId { get; init; } = "";
    public string MailFrom { get; init; } = "";
    public string RcptTo { get; init; } = "";
    public byte[] Mime { get; init; } = [];
    public string? RenderRef { get; init; }
    public int Attempts { get; init; }
    public long? SentAt { get; init; }
}

/// <summary>A system mail about to be queued.</summary>
public sealed record OutboxMessage(string Purpose, string MessageId, string MailFrom, string RcptTo, byte[] Mime)
{
    /// <summary>When to send it; null for now.</summary>
    public long? DueAt { get; init; }

    /// <summary>For a message rendered at send time (empty <see cref="Mime"/>): what to render.</summary>
    public string? RenderRef { get; init; }

    /// <summary>For transactional mail: the legal basis it is sent under.</summary>
    public string? LegalBasis { get; init; }
}

public sealed class CaughtMessageRow
{
    public long Id { get; init; }
    public long ReceivedAt { get; init; }
    public string MailFrom { get; init; } = "";
    public string RcptTo { get; init; } = "";
    public string Subject { get; init; } = "";
    public string? MessageId { get; init; }
    public byte[] Mime { get; init; } = [];
    public long? OrgId { get; init; }
}

public sealed class ImportJobRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string ListIds { get; init; } = "";
    public string FileName { get; init; } = "";
    public string FilePath { get; init; } = "";
    public long FileBytes { get; init; }
    public string FileSha256 { get; init; } = "";
    public string Mapping { get; init; } = "{}";
    public string UpdateMode { get; init; } = "update";
    public string NoEvidencePolicy { get; init; } = "refuse";
    public string Attestation { get; init; } = "";
    public string AttestedBy { get; init; } = "";
    public long AttestedAt { get; init; }
    public string Status { get; init; } = "";
    public string? Encoding { get; init; }
    public long TotalRows { get; init; }
    public long ProcessedRows { get; init; }
    public string Counts { get; init; } = "{}";
    public string? Risk { get; init; }
    public string? HeldReasons { get; init; }
    public string? ReviewNote { get; init; }
    public string? ReviewedBy { get; init; }
    public long? ReviewedAt { get; init; }
    public string? Error { get; init; }
    public long CreatedAt { get; init; }
    public long? StartedAt { get; init; }
    public long? FinishedAt { get; init; }
    public long? LeaseUntil { get; init; }

    /// <summary>The target list ids.</summary>
    public long[] ListIdArray => ListIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => long.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

public sealed class ExportRow
{
    public long Id { get; init; }
    public string Email { get; init; } = "";
    public string Name { get; init; } = "";
    public string Language { get; init; } = "";
    public string Attributes { get; init; } = "{}";
    public long? ConfirmedAt { get; init; }
}

public sealed class CampaignRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Name { get; init; } = "";
    public string ListIds { get; init; } = "[]";
    public string Segment { get; init; } = "";
    public string FromName { get; init; } = "";
    public string FromAddress { get; init; } = "";
    public string? ReplyTo { get; init; }
    public string Subject { get; init; } = "";
    public string Preheader { get; init; } = "";
    public string Body { get; init; } = "";
    public string BodyFormat { get; init; } = "";
    public string Status { get; init; } = "";
    public string? StatusReason { get; init; }
    public long AutoPaused { get; init; }
    public long? ScheduledAt { get; init; }
    public string? TimeZone { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? StartedAt { get; init; }
    public long? FinishedAt { get; init; }
    public long Total { get; init; }
    public long Sent { get; init; }
    public long Failed { get; init; }
    public long Skipped { get; init; }
    public long HardBounces { get; init; }
    public long SoftBounces { get; init; }
    public long Complaints { get; init; }
    public long Unsubscribes { get; init; }
    public long? PolicyStoppedAt { get; init; }

    /// <summary>What the acceptable use policy measures.</summary>
    public Lupa.Domain.AcceptableUse.SendingFigures Figures() => new(Sent, Failed, HardBounces, Complaints, Unsubscribes);

    public long[] ListIdArray() => System.Text.Json.JsonSerializer.Deserialize<long[]>(ListIds) ?? [];
}

public sealed class SenderDomainRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Domain { get; init; } = "";
    public string Selector { get; init; } = "";
    public string Algorithm { get; init; } = "";
    public string PrivateKey { get; init; } = "";
    public long CreatedAt { get; init; }
}

public sealed class OrganisationLayoutRow
{
    public string Name { get; init; } = "";
    public string Slug { get; init; } = "";
    public string PostalAddress { get; init; } = "";
    public string? BrandColour { get; init; }
    public string? CustomLayout { get; init; }
}

/// <summary>A claimed recipient with what its message needs.</summary>
public sealed class ClaimedRecipient
{
    public long SubscriberId { get; init; }
    public int Attempts { get; init; }
    public string? Email { get; init; }
    public string? Name { get; init; }
    public string? Language { get; init; }
    public string? Attributes { get; init; }
    /// <summary>Still confirmed on one of the campaign's lists, not restricted, not suppressed.</summary>
    public bool Wanted { get; init; }
    /// <summary>Objected to profiling: their message carries no open pixel and no tracked links.</summary>
    public bool ObjectedProfiling { get; init; }
}

public sealed class CampaignRecipientRow
{
    public long SubscriberId { get; init; }
    public string? Email { get; init; }
    public int State { get; init; }
    public int Attempts { get; init; }
    public long? SentAt { get; init; }
    public string? LastError { get; init; }
}

public sealed class PrivacyRequestRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Type { get; init; } = "";
    public string? ObjectionScope { get; init; }
    public string? SubjectEmail { get; init; }
    public string? SubjectHash { get; init; }
    public long? SubscriberId { get; init; }
    public string Language { get; init; } = "en";
    public string Channel { get; init; } = "";
    public long ReceivedAt { get; init; }
    public long? VerifiedAt { get; init; }
    public long DueAt { get; init; }
    public long? ExtendedUntil { get; init; }
    public int ExtensionMonths { get; init; }
    public string? ExtensionReason { get; init; }
    public string Status { get; init; } = "";
    public string? Handler { get; init; }
    public string? Outcome { get; init; }
    public string Details { get; init; } = "";
    public string CreatedBy { get; init; } = "";
    public long? ClosedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? AwaitingApprovalSince { get; init; }
    public string? ApprovedBy { get; init; }
    public long? ApprovedAt { get; init; }

    /// <summary>True while a verified self-service request waits for the privacy officer's approval before it is fulfilled.</summary>
    public bool AwaitingApproval => AwaitingApprovalSince is not null && ApprovedAt is null && Status is "verified" or "in_progress" or "extended";

    /// <summary>When the answer is due now: the extended date if there is one.</summary>
    public long EffectiveDueAt => ExtendedUntil ?? DueAt;
}

public sealed class SentMessageRow
{
    public long CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public string Subject { get; init; } = "";
    public long? SentAt { get; init; }
}

public sealed class BounceEventRow
{
    public long Id { get; init; }
    public long CampaignId { get; init; }
    public string? CampaignName { get; init; }
    public long SubscriberId { get; init; }
    public string? Email { get; init; }
    public string Kind { get; init; } = "";
    public string? Status { get; init; }
    public string? Diagnostic { get; init; }
    public string Source { get; init; } = "";
    public long ReceivedAt { get; init; }
    public long HasRaw { get; init; }
}
