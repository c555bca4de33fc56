using System.Net;
using System.Text;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Outbox;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>What a person sends on /privacy/{org}. <see cref="Choice"/> is a request type, or objection_direct_marketing / objection_profiling.</summary>
public sealed record SelfServiceRequest(string? Email, string? Choice, string? Details, string Language);

/// <summary>A request the privacy officer registers (it came by letter, phone or mail).</summary>
public sealed record OfficerRequest(string? Type, string? ObjectionScope, string? Email, string? Channel, DateTimeOffset? ReceivedAt, string? Details, string? Language);

/// <summary>What opening a verification link did.</summary>
public enum PrivacyVerifyOutcome
{
    /// <summary>The request is verified now.</summary>
    Verified,

    /// <summary>It was verified before; nothing changed.</summary>
    AlreadyVerified,

    /// <summary>The link is genuine but too old.</summary>
    Expired,

    /// <summary>The link is forged, cut short, or its request is gone.</summary>
    Invalid,
}

/// <summary>
/// The data-subject request register: intake from the public page with a verification link, registration by the
/// privacy officer, extension, completion and refusal, each with its deadline and, where the person must be told,
/// a mail in their language queued with the change. Every step is written to the audit trail.
/// </summary>
/// <remarks>
/// Failures are <see cref="Outcome{T}"/> codes: <c>not_found</c> (404), <c>status</c> (409: the request's status
/// does not allow it), or the name of the field at fault (422).
/// </remarks>
public sealed partial class PrivacyRequestService(
    LupaDatabase db,
    SystemStore system,
    PublicLinks links,
    LinkTokens tokens,
    OutboxSignal outboxSignal,
    SubscriptionService subscriptions,
    ErasureScrubber scrubber,
    DataRecipientService recipients,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<PrivacyRequestService> log)
{
    /// <summary>Longest details text (what to correct, and other words from the person or the officer).</summary>
    public const int MaxDetailsLength = 4000;

    /// <summary>Longest outcome or refusal reason.</summary>
    public const int MaxOutcomeLength = 4000;

    /// <summary>The self-service choices, in the order the page shows them.</summary>
    public static readonly IReadOnlyList<string> Choices =
        [PrivacyRequestTypes.Access, PrivacyRequestTypes.Portability, PrivacyRequestTypes.Rectification, PrivacyRequestTypes.Erasure,
         PrivacyRequestTypes.Restriction, "objection_" + ObjectionScopes.DirectMarketing, "objection_" + ObjectionScopes.Profiling];

    // The GDPR applies from 25 May 2018: no request registered under it was received before.
    private static readonly DateTimeOffset Earliest = new(2018, 5, 25, 0, 0, 0, TimeSpan.Zero);

    private readonly PrivacyOptions _options = options.Value.Privacy;

    /// <summary>The time zone deadlines are counted in.</summary>
    public TimeZoneInfo Zone { get; } = options.Value.Privacy.Zone();

    /// <summary>The register of one organisation.</summary>
    public PrivacyRequestStore For(long orgId) => new(db, orgId);

    /// <summary>Today's date where the deadlines are counted.</summary>
    public DateOnly Today() => PrivacyDeadlines.LocalDate(clock.GetUtcNow(), Zone);

    /// <summary>The first instant of a date where the deadlines are counted (a letter's date as its receipt time).</summary>
    public DateTimeOffset StartOfDay(DateOnly date) => PrivacyDeadlines.StartOfDay(date, Zone);

    /// <summary>The date an instant falls on where the deadlines are counted.</summary>
    public DateOnly DateOf(long unixMs) => PrivacyDeadlines.LocalDate(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), Zone);

    /// <summary>When the answer is due now (the extended date when extended).</summary>
    public DateOnly DueDate(PrivacyRequestRow r) => DateOf(r.EffectiveDueAt);

    /// <summary>Overdue, due soon or on time for an open request; null for one that is not open.</summary>
    public DeadlineState? State(PrivacyRequestRow r) =>
        PrivacyRequestStatuses.IsOpen(r.Status) ? PrivacyDeadlines.State(DueDate(r), Today()) : null;

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private long EndOf(DateOnly date) => PrivacyDeadlines.EndOfDay(date, Zone).ToUnixTimeMilliseconds();

    // A request due by the end of this is due soon (or overdue).
    private long DueSoonTo() => EndOf(Today().AddDays(PrivacyDeadlines.DueSoonDays));

    /// <summary>The list filter for a status, and for overdue and/or due-soon open requests.</summary>
    public PrivacyRequestFilter Filter(string? status, bool overdue, bool dueSoon, int limit)
    {
        var now = Now();
        return (overdue, dueSoon) switch
        {
            (true, true) => new PrivacyRequestFilter(status, null, DueSoonTo(), limit),
            (true, false) => new PrivacyRequestFilter(status, null, now - 1, limit),
            (false, true) => new PrivacyRequestFilter(status, now, DueSoonTo(), limit),
            _ => new PrivacyRequestFilter(status, null, null, limit),
        };
    }

    /// <summary>How many open requests are overdue and how many due soon.</summary>
    public Task<(long Overdue, long DueSoon)> CountDeadlinesAsync(long orgId, CancellationToken ct) =>
        For(orgId).CountDeadlinesAsync(Now(), DueSoonTo(), ct);

    // ---- self-service --------------------------------------------------------------------

    /// <summary>
    /// Takes a request from the public page: stores it as received and mails the verification link. The answer is
    /// the same whether or not the address is known, and a repeat within the form's resend time sends no second mail.
    /// Failures name the field: <c>email</c>, <c>choice</c> or <c>details</c>.
    /// </summary>
    public async Task<Outcome<bool>> SubmitAsync(OrganisationRow org, SelfServiceRequest input, CancellationToken ct)
    {
        var t = PrivacyText.For(input.Language);
        var email = EmailAddress.Parse(input.Email);
        if (!email.IsOk)
            return Outcome<bool>.Fail("email", email.Reason!);
        if (!TryReadChoice(input.Choice, out var type, out var scope))
            return Outcome<bool>.Fail("choice", t.ChooseRequired);
        var details = (input.Details ?? "").Trim();
        if (details.Length > MaxDetailsLength)
            return Outcome<bool>.Fail("details", string.Format(t.TooLong, MaxDetailsLength));
        if (type == PrivacyRequestTypes.Rectification && details.Length == 0)
            return Outcome<bool>.Fail("details", t.CorrectionRequired);
        var store = For(org.Id);
        var now = Now();
        var resendAfter = options.Value.PublicForm.ResendAfterMinutes * 60_000L;
        if (await store.FindRecentUnverifiedAsync(email.Value!.Value, type, scope, now - resendAfter, ct) is { } earlier)
        {
            log.LogInformation("Privacy request {RequestId} repeated within the resend time: no second mail", earlier.Id);
            return Outcome<bool>.Ok(false);
        }
        var request = new NewPrivacyRequest(type, scope, email.Value.Value, null, t.Lang, PrivacyRequestChannels.SelfService,
            now, null, DueAt(now), PrivacyRequestStatuses.Received, null, details, "self-service");
        var id = await store.CreateAsync(request, newId => VerificationMail(org, newId, request), now, ct);
        outboxSignal.Notify();
        log.LogInformation("Privacy request {RequestId} ({Type}) received on the public page of organisation {OrgId}", id, type, org.Id);
        return Outcome<bool>.Ok(true);
    }

    /// <summary>Reads a page choice into a type and, for an objection, its scope.</summary>
    public static bool TryReadChoice(string? choice, out string type, out string? scope)
    {
        type = "";
        scope = null;
        if (choice is null || !Choices.Contains(choice))
            return false;
        if (choice.StartsWith("objection_", StringComparison.Ordinal))
        {
            type = PrivacyRequestTypes.Objection;
            scope = choice["objection_".Length..];
        }
        else
            type = choice;
        return true;
    }

    private long DueAt(long receivedAt) => EndOf(PrivacyDeadlines.DueDate(DateOf(receivedAt)));

    private OutboxMessage VerificationMail(OrganisationRow org, long id, NewPrivacyRequest r)
    {
        var t = PrivacyText.For(r.Language);
        var url = links.PrivacyVerify(org.Id, id, r.ReceivedAt, TimeSpan.FromDays(_options.VerificationValidDays));
        return SubjectMail(org, r.Email, t, string.Format(t.VerifySubject, org.Name),
            [string.Format(t.VerifyIntro, org.Name, t.TypeName(r.Type, r.ObjectionScope))], (t.VerifyButton, url), [t.VerifyIgnore]);
    }

    /// <summary>Opens a verification link: the request goes on from here.</summary>
    public async Task<(PrivacyVerifyOutcome Outcome, PrivacyRequestRow? Request, OrganisationRow? Organisation)> VerifyAsync(string token, CancellationToken ct)
    {
        var problem = tokens.Read(token, LinkPurpose.PrivacyVerify, out var claims);
        if (problem == LinkProblem.Expired)
            return (PrivacyVerifyOutcome.Expired, null, null);
        if (problem != LinkProblem.None)
            return (PrivacyVerifyOutcome.Invalid, null, null);
        var org = await system.GetOrganisationAsync(claims.OrgId, ct);
        if (org is null)
            return (PrivacyVerifyOutcome.Invalid, null, null);
        var (row, changed) = await For(org.Id).VerifyAsync(claims.Id, claims.Stamp, Now(), ct);
        if (row is null || row.Status == PrivacyRequestStatuses.Received)
            return (PrivacyVerifyOutcome.Invalid, null, null);
        if (!changed)
            return (PrivacyVerifyOutcome.AlreadyVerified, row, org);
        await AuditAsync(org.Id, "self-service", "verify", row, null, ct);
        log.LogInformation("Privacy request {RequestId} verified", row.Id);
        if (!FulfilledAutomatically(row.Type))
            return (PrivacyVerifyOutcome.Verified, row, org);
        var store = For(org.Id);
        if (await store.GetFulfilmentApprovalAsync(ct))
        {
            // The organisation chose to approve each fulfilment: the request waits in the register for the privacy officer.
            await store.AwaitApprovalAsync(row.Id, Now(), ct);
            row = (await store.GetAsync(row.Id, ct))!;
            await AuditAsync(org.Id, AutomaticHandler, "await_approval", row, null, ct);
            log.LogInformation("Privacy request {RequestId} waits for approval", row.Id);
        }
        else if (row.Type is PrivacyRequestTypes.Access or PrivacyRequestTypes.Portability)
            row = await AnswerAsync(org, row, ct);
        else
            row = (await FulfilAsync(org, row, null, AutomaticHandler, ct)).Value ?? row;
        return (PrivacyVerifyOutcome.Verified, row, org);
    }

    /// <summary>
    /// Answers a verified access or portability request at once: mails the person a time-limited link to their data
    /// (read when it is opened, so always current) and completes the request with that outcome.
    /// </summary>
    private async Task<PrivacyRequestRow> AnswerAsync(OrganisationRow org, PrivacyRequestRow row, CancellationToken ct)
    {
        var t = PrivacyText.For(row.Language);
        var until = Today().AddDays(_options.ReportLinkValidDays);
        var url = links.PrivacyReport(org.Id, row.Id, TimeSpan.FromDays(_options.ReportLinkValidDays));
        var mail = SubjectMail(org, row.SubjectEmail!, t, string.Format(t.ReportSubject, org.Name),
            [string.Format(t.ReportBody, org.Name, t.TypeName(row.Type, row.ObjectionScope), t.Date(until))], (t.ReportButton, url), []);
        var change = new PrivacyRequestChange(row.Status, row.ExtensionMonths, PrivacyRequestStatuses.Completed)
        {
            Outcome = $"Answered automatically: a link to the {(row.Type == PrivacyRequestTypes.Access ? "access report" : "portable data (JSON and CSV)")} was mailed to the person, valid until {until:yyyy-MM-dd}.",
            Handler = AutomaticHandler,
            ClosedAt = Now(),
        };
        var answered = await ApplyAsync(org.Id, row, change, mail, AutomaticHandler, "complete", null, ct);
        return answered.Value ?? row;
    }

    /// <summary>
    /// True for the types Lupa carries out by itself once a self-service request is verified (unless the organisation
    /// has fulfilment wait for approval): access and portability (the answer mailed), erasure, restriction and objection.
    /// Rectification always waits for the officer, who sends the corrected values.
    /// </summary>
    public static bool FulfilledAutomatically(string type) =>
        type is PrivacyRequestTypes.Access or PrivacyRequestTypes.Portability or PrivacyRequestTypes.Erasure
            or PrivacyRequestTypes.Restriction or PrivacyRequestTypes.Objection;

    /// <summary>Whether the organisation has verified self-service requests wait for approval before they are fulfilled.</summary>
    public Task<bool> FulfilmentApprovalAsync(long orgId, CancellationToken ct) => For(orgId).GetFulfilmentApprovalAsync(ct);

    /// <summary>Sets whether fulfilment waits for approval (written to the audit trail when it changes).</summary>
    public Task SetFulfilmentApprovalAsync(long orgId, bool required, string actor, CancellationToken ct) =>
        For(orgId).SetFulfilmentApprovalAsync(required, new AuditEntry(orgId, actor, AuditActions.FulfilmentSetting, "organisation:" + orgId,
            JsonSerializer.Serialize(new { fulfilment = required ? "approval" : "automatic" }), Now()), ct);

    /// <summary>Writes to the audit trail that the person read their data, and in which form.</summary>
    public Task RecordReportReadAsync(long orgId, PrivacyRequestRow row, string format, CancellationToken ct) =>
        AuditAsync(orgId, "self-service", "report_read", row, new { format }, ct);

    /// <summary>The handler of requests Lupa answers by itself.</summary>
    public const string AutomaticHandler = "lupa (automatic)";

    /// <summary>
    /// The request behind a report link: a completed access or portability request of the link's organisation, with the
    /// organisation; null for a forged, expired or unknown link.
    /// </summary>
    public async Task<(LinkProblem Problem, PrivacyRequestRow? Request, OrganisationRow? Organisation)> ReadReportLinkAsync(string token, CancellationToken ct)
    {
        var problem = tokens.Read(token, LinkPurpose.PrivacyReport, out var claims);
        if (problem != LinkProblem.None)
            return (problem, null, null);
        var org = await system.GetOrganisationAsync(claims.OrgId, ct);
        var row = org is null ? null : await For(org.Id).GetAsync(claims.Id, ct);
        if (row is null || row.Type is not (PrivacyRequestTypes.Access or PrivacyRequestTypes.Portability) || row.Status != PrivacyRequestStatuses.Completed)
            return (LinkProblem.Forged, null, null);
        return (LinkProblem.None, row, org);
    }

    // ---- the privacy officer's register ----------------------------------------------------

    /// <summary>
    /// Registers a request that came by letter, phone or mail: verified at once, since the officer checked who asked.
    /// The receipt time defaults to now; it may be earlier (the letter's date), never later.
    /// </summary>
    public async Task<Outcome<PrivacyRequestRow>> RegisterAsync(long orgId, OfficerRequest input, string actor, CancellationToken ct)
    {
        if (!PrivacyRequestTypes.IsKnown(input.Type))
            return Fail<PrivacyRequestRow>("type", "must be one of " + string.Join(", ", PrivacyRequestTypes.All));
        var scope = input.ObjectionScope;
        if (input.Type == PrivacyRequestTypes.Objection)
        {
            scope ??= ObjectionScopes.DirectMarketing;
            if (!ObjectionScopes.IsKnown(scope))
                return Fail<PrivacyRequestRow>("objectionScope", $"must be {ObjectionScopes.DirectMarketing} or {ObjectionScopes.Profiling}");
        }
        else if (scope is not null)
            return Fail<PrivacyRequestRow>("objectionScope", "applies only to an objection");
        var email = EmailAddress.Parse(input.Email);
        if (!email.IsOk)
            return Fail<PrivacyRequestRow>("email", email.Reason!);
        var channel = input.Channel ?? PrivacyRequestChannels.Letter;
        if (!PrivacyRequestChannels.Registered.Contains(channel))
            return Fail<PrivacyRequestRow>("channel", "must be one of " + string.Join(", ", PrivacyRequestChannels.Registered) + " (self-service requests register themselves)");
        var now = Now();
        var receivedAt = input.ReceivedAt?.ToUnixTimeMilliseconds() ?? now;
        if (receivedAt > now + 60_000)
            return Fail<PrivacyRequestRow>("receivedAt", "must not be in the future");
        if (input.ReceivedAt < Earliest)
            return Fail<PrivacyRequestRow>("receivedAt", "must not be before 25 May 2018, when the GDPR began to apply");
        receivedAt = Math.Min(receivedAt, now);
        var details = (input.Details ?? "").Trim();
        if (details.Length > MaxDetailsLength)
            return Fail<PrivacyRequestRow>("details", $"must be at most {MaxDetailsLength} characters");
        if (input.Type == PrivacyRequestTypes.Rectification && details.Length == 0)
            return Fail<PrivacyRequestRow>("details", "say what is to be corrected");
        if (input.Language is not null && !Languages.IsSupported(input.Language))
            return Fail<PrivacyRequestRow>("language", "must be 'fi' or 'en'");
        var subscriber = await new OrganisationStore(db, orgId).FindSubscriberAsync(email.Value!.Value, ct);
        var language = input.Language ?? (Languages.IsSupported(subscriber?.Language) ? subscriber!.Language : Languages.English);
        var store = For(orgId);
        var id = await store.CreateAsync(new NewPrivacyRequest(input.Type!, scope, email.Value.Value, subscriber?.Id, language, channel,
            receivedAt, now, DueAt(receivedAt), PrivacyRequestStatuses.Verified, actor, details, actor), null, now, ct);
        var row = (await store.GetAsync(id, ct))!;
        await AuditAsync(orgId, actor, "register", row, null, ct);
        return Outcome<PrivacyRequestRow>.Ok(row);
    }

    /// <summary>
    /// Extends a request by 1 or 2 further months with a reason (Article 12(3)); the person is told, in their
    /// language, within the same transaction.
    /// </summary>
    public async Task<Outcome<PrivacyRequestRow>> ExtendAsync(long orgId, long id, int? months, string? reason, string actor, CancellationToken ct)
    {
        var (row, org, failure) = await LoadForAsync(orgId, id, PrivacyRequestStatuses.Action.Extend, ct);
        if (failure is { } f)
            return f;
        reason = reason?.Trim();
        var extended = PrivacyDeadlines.Extend(DateOf(row!.ReceivedAt), row.ExtensionMonths, months ?? 0, reason, Today());
        if (!extended.IsOk)
            return Fail<PrivacyRequestRow>(extended.Code!, extended.Reason!);
        var total = row.ExtensionMonths + months!.Value;
        OutboxMessage? mail = null;
        if (row.SubjectEmail is { } to)
        {
            var t = PrivacyText.For(row.Language);
            mail = SubjectMail(org!, to, t, t.ExtendSubject,
                [string.Format(t.ExtendBody, t.Date(DateOf(row.ReceivedAt)), org!.Name, t.TypeName(row.Type, row.ObjectionScope), t.Date(extended.Value)),
                 $"{t.Reason}: {reason}"], null, [await ComplaintAsync(orgId, t, ct)]);
        }
        var change = new PrivacyRequestChange(row.Status, row.ExtensionMonths, PrivacyRequestStatuses.Extended)
        {
            ExtendedUntil = EndOf(extended.Value),
            ExtensionMonths = total,
            ExtensionReason = reason,
            Handler = actor,
        };
        return await ApplyAsync(orgId, row, change, mail, actor, "extend", new { months, totalMonths = total, dueDate = extended.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, ct);
    }

    /// <summary>Completes a request with what was done.</summary>
    public Task<Outcome<PrivacyRequestRow>> CompleteAsync(long orgId, long id, string? outcome, string actor, CancellationToken ct) =>
        CloseAsync(orgId, id, PrivacyRequestStatuses.Action.Complete, "outcome", outcome, actor, ct);

    /// <summary>Refuses a request with the reason, which the person is told together with their right to complain (Article 12(4)).</summary>
    public Task<Outcome<PrivacyRequestRow>> RefuseAsync(long orgId, long id, string? reason, string actor, CancellationToken ct) =>
        CloseAsync(orgId, id, PrivacyRequestStatuses.Action.Refuse, "reason", reason, actor, ct);

    // Completion and refusal both close the request with a text (named by field); a refusal is also told to the person.
    private async Task<Outcome<PrivacyRequestRow>> CloseAsync(long orgId, long id, PrivacyRequestStatuses.Action action, string field, string? text, string actor, CancellationToken ct)
    {
        var (row, org, failure) = await LoadForAsync(orgId, id, action, ct);
        if (failure is { } f)
            return f;
        if (OutcomeProblem(text) is { } p)
            return Fail<PrivacyRequestRow>(field, p);
        text = text!.Trim();
        var refusal = action == PrivacyRequestStatuses.Action.Refuse;
        OutboxMessage? mail = null;
        if (refusal && row!.SubjectEmail is { } to)
        {
            var t = PrivacyText.For(row.Language);
            mail = SubjectMail(org!, to, t, t.RefuseSubject,
                [string.Format(t.RefuseBody, t.Date(DateOf(row.ReceivedAt)), org!.Name, t.TypeName(row.Type, row.ObjectionScope)), $"{t.Reason}: {text}"],
                null, [await ComplaintAsync(orgId, t, ct)]);
        }
        var change = new PrivacyRequestChange(row!.Status, row.ExtensionMonths, refusal ? PrivacyRequestStatuses.Refused : PrivacyRequestStatuses.Completed)
        {
            Outcome = text,
            Handler = actor,
            ClosedAt = Now(),
        };
        return await ApplyAsync(orgId, row, change, mail, actor, refusal ? "refuse" : "complete", null, ct);
    }

    private static string? OutcomeProblem(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "is required" : text.Trim().Length > MaxOutcomeLength ? $"must be at most {MaxOutcomeLength} characters" : null;

    private async Task<(PrivacyRequestRow? Row, OrganisationRow? Org, Outcome<PrivacyRequestRow>? Failure)> LoadForAsync(
        long orgId, long id, PrivacyRequestStatuses.Action action, CancellationToken ct)
    {
        var row = await For(orgId).GetAsync(id, ct);
        if (row is null)
            return (null, null, Fail<PrivacyRequestRow>("not_found", "No request with that id in this organisation."));
        var allowed = PrivacyRequestStatuses.After(row.Status, action);
        if (!allowed.IsOk)
            return (row, null, Fail<PrivacyRequestRow>("status", allowed.Reason!));
        var org = await system.GetOrganisationAsync(orgId, ct);
        return (row, org, null);
    }

    private async Task<Outcome<PrivacyRequestRow>> ApplyAsync(long orgId, PrivacyRequestRow row, PrivacyRequestChange change, OutboxMessage? mail,
        string actor, string action, object? facts, CancellationToken ct)
    {
        var store = For(orgId);
        if (!await store.ChangeAsync(row.Id, change, mail, Now(), ct))
            return Fail<PrivacyRequestRow>("status", "The request changed meanwhile; read it again.");
        if (mail is not null)
            outboxSignal.Notify();
        var after = (await store.GetAsync(row.Id, ct))!;
        await AuditAsync(orgId, actor, action, after, facts, ct);
        log.LogInformation("Privacy request {RequestId}: {Action} by {Actor}", row.Id, action, actor);
        return Outcome<PrivacyRequestRow>.Ok(after);
    }

    private static Outcome<T> Fail<T>(string code, string reason) => Outcome<T>.Fail(code, reason);

    // The audit trail keeps what happened to which request, never the person's address or words.
    private Task AuditAsync(long orgId, string actor, string action, PrivacyRequestRow r, object? facts, CancellationToken ct) =>
        new AuditStore(db).AppendAsync(orgId, actor, "privacy_request." + action, "privacy_request:" + r.Id,
            JsonSerializer.Serialize(new { type = r.Type, status = r.Status, channel = r.Channel, facts }), Now(), ct);

    private async Task<string> ComplaintAsync(long orgId, PrivacyText t, CancellationToken ct)
    {
        var notice = await new OrganisationStore(db, orgId).GetPrivacyNoticeAsync(ct: ct);
        var content = notice is null ? new PrivacyNoticeContent() : PrivacyNoticeContent.FromJson(notice.Content);
        return string.Format(t.Complaint, content.AuthorityName, content.AuthorityContact);
    }

    /// <summary>
    /// A mail to the data subject from the organisation: paragraphs, an optional button link, closing paragraphs, and
    /// the organisation's privacy notice. Every value is HTML-encoded in the HTML part. <paramref name="messageId"/> fixes the
    /// Message-ID (for mail that must be queued once however often it is prepared).
    /// </summary>
    internal OutboxMessage SubjectMail(OrganisationRow org, string to, PrivacyText t, string subject,
        IReadOnlyList<string> before, (string Label, string Url)? link, IReadOnlyList<string> after, string? messageId = null)
    {
        var noticeUrl = links.Notice(org.Slug);
        var text = new StringBuilder();
        var html = new StringBuilder($"""<!DOCTYPE html><html lang="{t.Lang}"><body style="font-family:sans-serif;max-width:36em">""");
        foreach (var p in before)
        {
            text.Append(p).Append("\n\n");
            html.Append("<p>").Append(WebUtility.HtmlEncode(p)).Append("</p>");
        }
        if (link is { } l)
        {
            text.Append(l.Url).Append("\n\n");
            html.Append($"""<p><a href="{WebUtility.HtmlEncode(l.Url)}" style="display:inline-block;padding:.6em 1.2em;background:#1f5f8b;color:#fff;text-decoration:none;border-radius:4px">{WebUtility.HtmlEncode(l.Label)}</a></p>""")
                .Append($"""<p style="font-size:small">{WebUtility.HtmlEncode(l.Url)}</p>""");
        }
        foreach (var p in after)
        {
            text.Append(p).Append("\n\n");
            html.Append("<p>").Append(WebUtility.HtmlEncode(p)).Append("</p>");
        }
        text.Append($"{t.PrivacyNotice}: {noticeUrl}\n-- \n{org.Name}\n");
        html.Append($"""<p style="font-size:small;color:#555">{WebUtility.HtmlEncode(org.Name)} &middot; <a href="{WebUtility.HtmlEncode(noticeUrl)}">{WebUtility.HtmlEncode(t.PrivacyNotice)}</a></p></body></html>""");
        var from = subscriptions.SystemFromAddress();
        var (writtenId, bytes) = MailComposer.Write(new MailSpec
        {
            FromName = org.Name,
            FromAddress = from,
            To = to,
            Subject = subject,
            Text = text.ToString(),
            Html = html.ToString(),
            Language = t.Lang,
            MessageIdDomain = links.MailDomain,
            MessageId = messageId,
        });
        return new OutboxMessage("privacy_request", writtenId, from, to, bytes);
    }
}
