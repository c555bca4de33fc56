using System.Globalization;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Outbox;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>The facts of a breach as given; null leaves a field as it is when changing one. Times are ISO 8601 (without an offset: in the privacy time zone).</summary>
public sealed record BreachInput(
    string? Title, string? DiscoveredAt, string? OccurredAt, string? Nature, string? SubjectCategories, long? SubjectsApprox,
    string? RecordCategories, long? RecordsApprox, string? Consequences, string? Measures, string? DpoContact);

/// <summary>Where a breach stands with the authority, as given.</summary>
public sealed record AuthorityInput(string? Status, string? NotifiedAt, string? Reference, string? Reason);

/// <summary>A notice to the people a breach affects, as given. <see cref="Segment"/> is segment JSON; <see cref="Addresses"/> lines of "address" or "address,language".</summary>
public sealed record NoticeInput(string? Audience, long[]? ListIds, string? Segment, IReadOnlyList<string>? Addresses, string? Language, string? MessageFi, string? MessageEn);

/// <summary>A notice's job state as the API and the page show it.</summary>
public static class BreachNoticeJob
{
    /// <summary>preparing (mails being queued), sending (queued, not all handed to the relay) or done.</summary>
    public static string Status(BreachNoticeRow n) =>
        n.Status == "preparing" ? "preparing" : n.Sent + n.Failed < n.Recipients ? "sending" : "done";
}

/// <summary>
/// The breach register (Articles 33 and 34): registering a breach and changing its facts, the 72-hour clock to the
/// authority and its status, the text for the authority's form, and notices to the affected people. A notice is a
/// transactional send under a legal obligation: it reaches people who unsubscribed or are suppressed (they are still
/// stored), never an erased person (no longer stored; an uploaded address of one is left out), carries no unsubscribe
/// link, and says plainly that it is a legal notice. Every action is written to the audit trail, never with an address.
/// Failures are <see cref="Outcome{T}"/> codes: <c>not_found</c> (404) or the field at fault (422).
/// </summary>
public sealed class BreachService(
    LupaDatabase db,
    SystemStore system,
    PrivacyRequestService privacy,
    PublicLinks links,
    BreachNoticeSignal noticeSignal,
    OutboxSignal outboxSignal,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<BreachService> log)
{
    /// <summary>Longest title.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>Longest free text (nature, consequences, measures, categories, contact, reasons).</summary>
    public const int MaxTextLength = 10_000;

    /// <summary>Longest message of a notice, per language.</summary>
    public const int MaxMessageLength = 20_000;

    /// <summary>Most addresses one uploaded list may hold.</summary>
    public const int MaxAddresses = 1_000_000;

    // A time a few minutes ahead of the server's clock is still "now" (clocks of people's machines differ).
    private static readonly TimeSpan FutureSlack = TimeSpan.FromMinutes(5);

    /// <summary>The time zone times without an offset are read in, and the register shows.</summary>
    public TimeZoneInfo Zone { get; } = options.Value.Privacy.Zone();

    /// <summary>The register of one organisation.</summary>
    public BreachStore For(long orgId) => new(db, orgId);

    /// <summary>Now.</summary>
    public DateTimeOffset Now() => clock.GetUtcNow();

    private long NowMs() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>Where a breach's 72-hour clock stands now.</summary>
    public BreachClockState State(BreachRow b) =>
        BreachClock.State(Time(b.DiscoveredAt), b.AuthorityStatus, b.AuthorityNotifiedAt is { } n ? Time(n) : null, Now());

    /// <summary>The time left to notify the authority (negative when overdue).</summary>
    public TimeSpan Left(BreachRow b) => BreachClock.Left(Time(b.DiscoveredAt), Now());

    /// <summary>Reads a time: ISO 8601 with an offset, or a local date-time (the admin form's) in <see cref="Zone"/>.</summary>
    public Outcome<DateTimeOffset> ParseTime(string? text, string field)
    {
        var value = (text ?? "").Trim();
        if (DateTime.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var offset = Zone.GetUtcOffset(local);
            return Outcome<DateTimeOffset>.Ok(new DateTimeOffset(local, offset));
        }
        if (value.Length > 10 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) && (value.EndsWith('Z') || value[^6] is '+' or '-'))
            return Outcome<DateTimeOffset>.Ok(at);
        return Outcome<DateTimeOffset>.Fail(field, "must be a date and time such as 2026-03-01T14:30 (in " + Zone.Id + ") or 2026-03-01T12:30:00Z");
    }

    /// <summary>Registers a breach. Required: title and nature; the discovery time defaults to now and may not be in the future.</summary>
    public async Task<Outcome<BreachRow>> RegisterAsync(long orgId, BreachInput input, string actor, CancellationToken ct)
    {
        var dpo = input.DpoContact;
        if (string.IsNullOrWhiteSpace(dpo))
        {
            var notice = await new OrganisationStore(db, orgId).GetPrivacyNoticeAsync(ct: ct);
            var content = notice is null ? new PrivacyNoticeContent() : PrivacyNoticeContent.FromJson(notice.Content);
            dpo = string.IsNullOrWhiteSpace(content.DpoContact) ? content.ControllerContact : content.DpoContact;
        }
        var fields = Merge(null, input with { DpoContact = dpo });
        if (!fields.IsOk)
            return Outcome<BreachRow>.Fail(fields.Code!, fields.Reason!);
        var store = For(orgId);
        var id = await store.CreateAsync(fields.Value!, actor, NowMs(), ct);
        await AuditAsync(orgId, actor, "register", id, new { discoveredAt = fields.Value!.DiscoveredAt }, ct);
        log.LogInformation("Breach {BreachId} registered in organisation {OrgId}", id, orgId);
        return Outcome<BreachRow>.Ok((await store.GetAsync(id, ct))!);
    }

    /// <summary>Changes the facts of a breach (fields given replace, others stay); written to the audit trail with the names of the fields changed.</summary>
    public async Task<Outcome<BreachRow>> UpdateAsync(long orgId, long id, BreachInput input, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetAsync(id, ct) is not { } row)
            return Outcome<BreachRow>.Fail("not_found", "No breach with that id in this organisation.");
        var fields = Merge(row, input);
        if (!fields.IsOk)
            return Outcome<BreachRow>.Fail(fields.Code!, fields.Reason!);
        var f = fields.Value!;
        if (row.AuthorityNotifiedAt is { } notified && f.DiscoveredAt > notified)
            return Outcome<BreachRow>.Fail("discoveredAt", "must not be after the authority was notified");
        await store.UpdateAsync(id, f, NowMs(), ct);
        var changed = Changed(row, f);
        await AuditAsync(orgId, actor, "update", id, new { fields = changed }, ct);
        return Outcome<BreachRow>.Ok((await store.GetAsync(id, ct))!);
    }

    private static List<string> Changed(BreachRow r, BreachFields f)
    {
        var changed = new List<string>();
        void Check(string name, object? a, object? b)
        {
            if (!Equals(a, b))
                changed.Add(name);
        }
        Check("title", r.Title, f.Title);
        Check("discoveredAt", r.DiscoveredAt, f.DiscoveredAt);
        Check("occurredAt", r.OccurredAt, f.OccurredAt);
        Check("nature", r.Nature, f.Nature);
        Check("subjectCategories", r.SubjectCategories, f.SubjectCategories);
        Check("subjectsApprox", r.SubjectsApprox, f.SubjectsApprox);
        Check("recordCategories", r.RecordCategories, f.RecordCategories);
        Check("recordsApprox", r.RecordsApprox, f.RecordsApprox);
        Check("consequences", r.Consequences, f.Consequences);
        Check("measures", r.Measures, f.Measures);
        Check("dpoContact", r.DpoContact, f.DpoContact);
        return changed;
    }

    // The fields of a breach from what was given over what is stored (null: a new breach), checked.
    private Outcome<BreachFields> Merge(BreachRow? row, BreachInput i)
    {
        var title = (i.Title ?? row?.Title ?? "").Trim();
        if (title.Length == 0)
            return Outcome<BreachFields>.Fail("title", "is required");
        if (TextRules.SingleLineProblem(title, MaxTitleLength) is { } tp)
            return Outcome<BreachFields>.Fail("title", tp);
        long discovered;
        if (i.DiscoveredAt is null)
            discovered = row?.DiscoveredAt ?? NowMs();
        else
        {
            var at = ParseTime(i.DiscoveredAt, "discoveredAt");
            if (!at.IsOk)
                return Outcome<BreachFields>.Fail(at.Code!, at.Reason!);
            discovered = at.Value.ToUnixTimeMilliseconds();
        }
        if (Time(discovered) > Now() + FutureSlack)
            return Outcome<BreachFields>.Fail("discoveredAt", "must not be in the future");
        var occurred = row?.OccurredAt;
        if (i.OccurredAt is not null)
        {
            if (i.OccurredAt.Trim().Length == 0)
                occurred = null;
            else
            {
                var at = ParseTime(i.OccurredAt, "occurredAt");
                if (!at.IsOk)
                    return Outcome<BreachFields>.Fail(at.Code!, at.Reason!);
                occurred = at.Value.ToUnixTimeMilliseconds();
            }
        }
        if (occurred > discovered)
            return Outcome<BreachFields>.Fail("occurredAt", "must not be after the breach was discovered");
        var texts = new Dictionary<string, string>();
        foreach (var (name, given, stored) in new (string, string?, string?)[]
                 {
                     ("nature", i.Nature, row?.Nature), ("subjectCategories", i.SubjectCategories, row?.SubjectCategories),
                     ("recordCategories", i.RecordCategories, row?.RecordCategories), ("consequences", i.Consequences, row?.Consequences),
                     ("measures", i.Measures, row?.Measures), ("dpoContact", i.DpoContact, row?.DpoContact),
                 })
        {
            var value = (given ?? stored ?? "").Trim();
            if (value.Length > MaxTextLength)
                return Outcome<BreachFields>.Fail(name, $"must be at most {MaxTextLength} characters");
            texts[name] = value.ReplaceLineEndings("\n");
        }
        if (texts["nature"].Length == 0)
            return Outcome<BreachFields>.Fail("nature", "is required: what happened, and to which data");
        var subjects = i.SubjectsApprox ?? row?.SubjectsApprox;
        if (subjects is < 0 or > 100_000_000_000)
            return Outcome<BreachFields>.Fail("subjectsApprox", "must be a number of people from 0 up");
        var records = i.RecordsApprox ?? row?.RecordsApprox;
        if (records is < 0 or > 1_000_000_000_000)
            return Outcome<BreachFields>.Fail("recordsApprox", "must be a number of records from 0 up");
        return Outcome<BreachFields>.Ok(new BreachFields(title, discovered, occurred, texts["nature"], texts["subjectCategories"], subjects,
            texts["recordCategories"], records, texts["consequences"], texts["measures"], texts["dpoContact"]));
    }

    /// <summary>
    /// Records where the breach stands with the authority: <c>notified</c> (when, default now, never before discovery nor
    /// in the future; the case reference; and, past the 72 hours, the reasons for the delay, which Article 33(1) requires),
    /// <c>not_required</c> (the reason: why the breach is unlikely to result in a risk), or <c>pending</c> again.
    /// </summary>
    public async Task<Outcome<BreachRow>> SetAuthorityAsync(long orgId, long id, AuthorityInput input, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetAsync(id, ct) is not { } row)
            return Outcome<BreachRow>.Fail("not_found", "No breach with that id in this organisation.");
        var status = (input.Status ?? "").Trim();
        if (!AuthorityStatuses.IsKnown(status))
            return Outcome<BreachRow>.Fail("status", "must be one of " + string.Join(", ", AuthorityStatuses.All));
        var reason = string.IsNullOrWhiteSpace(input.Reason) ? null : input.Reason.Trim().ReplaceLineEndings("\n");
        if (reason is { Length: > MaxTextLength })
            return Outcome<BreachRow>.Fail("reason", $"must be at most {MaxTextLength} characters");
        var reference = string.IsNullOrWhiteSpace(input.Reference) ? null : input.Reference.Trim();
        if (reference is not null && TextRules.SingleLineProblem(reference, 200) is { } rp)
            return Outcome<BreachRow>.Fail("reference", rp);
        long? notifiedAt = null;
        var discovered = Time(row.DiscoveredAt);
        switch (status)
        {
            case AuthorityStatuses.Notified:
                var at = Now();
                if (!string.IsNullOrWhiteSpace(input.NotifiedAt))
                {
                    var parsed = ParseTime(input.NotifiedAt, "notifiedAt");
                    if (!parsed.IsOk)
                        return Outcome<BreachRow>.Fail(parsed.Code!, parsed.Reason!);
                    at = parsed.Value;
                }
                if (at > Now() + FutureSlack)
                    return Outcome<BreachRow>.Fail("notifiedAt", "must not be in the future");
                if (at < discovered)
                    return Outcome<BreachRow>.Fail("notifiedAt", "must not be before the breach was discovered");
                if (BreachClock.IsLate(discovered, at) && reason is null)
                    return Outcome<BreachRow>.Fail("reason", "is required: the notification is later than 72 hours after discovery, so it must give the reasons for the delay (Article 33(1))");
                notifiedAt = at.ToUnixTimeMilliseconds();
                break;
            case AuthorityStatuses.NotRequired:
                if (reason is null)
                    return Outcome<BreachRow>.Fail("reason", "is required: why the breach is unlikely to result in a risk to people's rights and freedoms (Article 33(1) and (5))");
                reference = null;
                break;
            default:
                reference = null;
                reason = null;
                break;
        }
        await store.SetAuthorityAsync(id, status, notifiedAt, reference, reason, NowMs(), ct);
        var after = (await store.GetAsync(id, ct))!;
        await AuditAsync(orgId, actor, "authority", id, new { status, notifiedAt, clock = BreachClock.Name(State(after)) }, ct);
        return Outcome<BreachRow>.Ok(after);
    }

    /// <summary>The text for the authority's notification form, in Finnish or English.</summary>
    public async Task<string> AuthorityTextAsync(long orgId, BreachRow b, string language, CancellationToken ct)
    {
        var org = (await system.GetOrganisationAsync(orgId, ct))!;
        var notice = await new OrganisationStore(db, orgId).GetPrivacyNoticeAsync(ct: ct);
        var content = notice is null ? new PrivacyNoticeContent() : PrivacyNoticeContent.FromJson(notice.Content);
        var notices = await For(orgId).ListNoticesAsync(b.Id, ct);
        var late = State(b) is BreachClockState.NotifiedLate or BreachClockState.Overdue;
        return BreachText.For(language).AuthorityForm(b, org.Name, content, notices, Zone, late);
    }

    /// <summary>
    /// Makes a notice and fixes who it goes to; its mails are queued in the background (<see cref="BreachNoticeWorker"/>).
    /// Failures name the field: <c>audience</c>, <c>listIds</c>, <c>segment</c>, <c>addresses</c> (the first bad lines),
    /// <c>language</c>, <c>messageFi</c>, <c>messageEn</c>; <c>audience</c> also when nobody would get it.
    /// </summary>
    public async Task<Outcome<BreachNoticeRow>> NotifyAsync(long orgId, long breachId, NoticeInput input, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetAsync(breachId, ct) is null)
            return Fail("not_found", "No breach with that id in this organisation.");
        var kind = (input.Audience ?? "").Trim();
        if (!BreachAudiences.IsKnown(kind))
            return Fail("audience", "must be one of " + string.Join(", ", BreachAudiences.Known));
        var language = string.IsNullOrWhiteSpace(input.Language) ? Languages.Finnish : input.Language.Trim();
        if (!Languages.IsSupported(language))
            return Fail("language", "must be fi or en");
        var fi = (input.MessageFi ?? "").Trim().ReplaceLineEndings("\n");
        var en = (input.MessageEn ?? "").Trim().ReplaceLineEndings("\n");
        if (fi.Length == 0)
            return Fail("messageFi", "is required: the notice in Finnish (what happened, the likely consequences, what was done and what the person can do)");
        if (en.Length == 0)
            return Fail("messageEn", "is required: the notice in English (what happened, the likely consequences, what was done and what the person can do)");
        if (fi.Length > MaxMessageLength || en.Length > MaxMessageLength)
            return Fail(fi.Length > MaxMessageLength ? "messageFi" : "messageEn", $"must be at most {MaxMessageLength} characters");
        var listIds = (input.ListIds ?? []).Distinct().ToArray();
        Segment? segment = null;
        IReadOnlyList<(string, string)> addresses = [];
        string detail;
        switch (kind)
        {
            case BreachAudiences.Lists or BreachAudiences.Segment:
                if (kind == BreachAudiences.Lists && listIds.Length == 0)
                    return Fail("listIds", "choose at least one list");
                var known = (await new OrganisationStore(db, orgId).ListListsAsync(ct)).Select(l => l.Id).ToHashSet();
                if (listIds.Where(l => !known.Contains(l)).Select(l => (long?)l).FirstOrDefault() is { } unknown)
                    return Fail("listIds", $"{unknown} is not a list of this organisation");
                if (kind == BreachAudiences.Segment)
                {
                    if (string.IsNullOrWhiteSpace(input.Segment))
                        return Fail("segment", "is required for the segment audience");
                    var parsed = Segment.Parse(input.Segment);
                    if (!parsed.IsOk)
                        return Fail("segment", parsed.Reason!);
                    segment = parsed.Value;
                }
                detail = JsonSerializer.Serialize(new { listIds, segment = segment is null ? null : input.Segment });
                break;
            case BreachAudiences.Addresses:
                var read = ReadAddresses(input.Addresses ?? [], language);
                if (!read.IsOk)
                    return Fail("addresses", read.Reason!);
                addresses = read.Value!;
                detail = JsonSerializer.Serialize(new { uploaded = addresses.Count });
                break;
            default:
                detail = "{}";
                break;
        }
        var notice = await store.CreateNoticeAsync(breachId, new BreachAudience(kind, listIds, segment, addresses), detail, language, fi, en, actor, NowMs(), ct);
        if (notice is null)
            return Fail("audience", "nobody Lupa holds matches: no notice was made");
        noticeSignal.Notify();
        await AuditAsync(orgId, actor, "notify", breachId, new { notice = notice.Id, audience = kind, people = notice.Total, skippedErased = notice.SkippedErased }, ct);
        log.LogInformation("Breach {BreachId}: notice {NoticeId} to {Count} people", breachId, notice.Id, notice.Total);
        return Outcome<BreachNoticeRow>.Ok(notice);
    }

    private static Outcome<BreachNoticeRow> Fail(string code, string reason) => Outcome<BreachNoticeRow>.Fail(code, reason);

    /// <summary>
    /// Reads an uploaded list: one address a line, optionally followed by a comma, semicolon or tab and fi or en; empty
    /// lines and a first line that is a header are skipped; repeats count once. Refuses the whole list when a line is no
    /// address, naming the first few.
    /// </summary>
    public static Outcome<IReadOnlyList<(string Email, string Language)>> ReadAddresses(IReadOnlyList<string> lines, string defaultLanguage)
    {
        var result = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var bad = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0)
                continue;
            var parts = line.Split([',', ';', '\t'], 3, StringSplitOptions.TrimEntries);
            var address = EmailAddress.Parse(parts[0].Trim('"'));
            if (!address.IsOk)
            {
                if (i == 0 && !parts[0].Contains('@', StringComparison.Ordinal))
                    continue; // a header such as "email,language"
                if (bad.Count < 5)
                    bad.Add($"line {i + 1}: {address.Reason}");
                else if (bad.Count == 5)
                    bad.Add("…");
                continue;
            }
            var language = parts.Length > 1 && parts[1].Trim('"').ToLowerInvariant() is { Length: > 0 } l ? l : defaultLanguage;
            if (!Languages.IsSupported(language))
            {
                if (bad.Count < 5)
                    bad.Add($"line {i + 1}: the language must be fi or en");
                continue;
            }
            if (seen.Add(address.Value!.Value))
                result.Add((address.Value.Value, language));
        }
        if (bad.Count > 0)
            return Outcome<IReadOnlyList<(string, string)>>.Fail("addresses", "fix these lines and upload again: " + string.Join("; ", bad));
        if (result.Count == 0)
            return Outcome<IReadOnlyList<(string, string)>>.Fail("addresses", "give at least one address, one a line");
        if (result.Count > MaxAddresses)
            return Outcome<IReadOnlyList<(string, string)>>.Fail("addresses", $"at most {MaxAddresses:N0} addresses a notice");
        return Outcome<IReadOnlyList<(string, string)>>.Ok(result);
    }

    /// <summary>
    /// What builds one person's mail of a notice: the legal-notice paragraph, the officer's message in the person's
    /// language, when the breach was discovered, whom to contact, and the right to complain; from the organisation
    /// under the system address, with no unsubscribe link (not marketing), logged with the legal basis
    /// <c>legal_obligation</c>. The Message-ID is stable per notice and person, so the mail is queued once.
    /// </summary>
    public async Task<Func<BreachNoticeRecipientRow, OutboxMessage>?> ComposerAsync(BreachNoticeRow notice, CancellationToken ct)
    {
        var org = await system.GetOrganisationAsync(notice.OrgId, ct);
        var breach = await For(notice.OrgId).GetAsync(notice.BreachId, ct);
        if (org is null || breach is null)
            return null;
        var privacyNotice = await new OrganisationStore(db, notice.OrgId).GetPrivacyNoticeAsync(ct: ct);
        var content = privacyNotice is null ? new PrivacyNoticeContent() : PrivacyNoticeContent.FromJson(privacyNotice.Content);
        var discovered = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Time(breach.DiscoveredAt), Zone).DateTime);
        return r =>
        {
            var b = BreachText.For(r.Language);
            var t = PrivacyText.For(r.Language);
            var message = r.Language == Languages.Finnish ? notice.MessageFi : notice.MessageEn;
            var before = new List<string> { string.Format(CultureInfo.InvariantCulture, b.NoticeLegal, org.Name) };
            before.AddRange(message.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            before.Add(string.Format(CultureInfo.InvariantCulture, b.NoticeDiscovered, org.Name, t.Date(discovered)));
            var after = new List<string>();
            if (!string.IsNullOrWhiteSpace(breach.DpoContact))
                after.Add(string.Format(CultureInfo.InvariantCulture, b.NoticeContact, breach.DpoContact.ReplaceLineEndings(" ")));
            after.Add(string.Format(CultureInfo.InvariantCulture, t.Complaint, content.AuthorityName, content.AuthorityContact));
            var messageId = string.Create(CultureInfo.InvariantCulture, $"breach.n{notice.Id}.r{r.Id}@{links.MailDomain}");
            var mail = privacy.SubjectMail(org, r.Email, t, string.Format(CultureInfo.InvariantCulture, b.NoticeSubject, org.Name), before, null, after, messageId);
            return mail with { Purpose = "breach_notice", LegalBasis = "legal_obligation" };
        };
    }

    /// <summary>Wakes the outbox after notice mails were queued.</summary>
    public void WakeOutbox() => outboxSignal.Notify();

    private Task AuditAsync(long orgId, string actor, string action, long id, object facts, CancellationToken ct) =>
        new AuditStore(db).AppendAsync(orgId, actor, "breach." + action, "breach:" + id, JsonSerializer.Serialize(facts), NowMs(), ct);
}
