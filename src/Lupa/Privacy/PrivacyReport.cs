using System.Text;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>The answer to an access request (Article 15): every piece of personal data held, and the facts of its processing.</summary>
public sealed record AccessReport(
    string Organisation, long RequestId, DateTimeOffset GeneratedAt, string Email, ReportPerson? Subscriber, ReportSubscription[] Subscriptions,
    ReportConsent[] ConsentHistory, ReportMessage[] MessagesSent, string[] Sources, ReportProcessing Processing, ReportTrackingEvent[] Tracking, ReportRecipient[] DataRecipients);

/// <summary>One open or click kept with the person (only where the organisation keeps individual events).</summary>
/// <param name="Campaign">The campaign's name.</param>
/// <param name="Kind"><c>open</c> or <c>click</c>.</param>
/// <param name="Url">The link clicked.</param>
/// <param name="Machine">Whether it looked made by a machine (a mail provider's image proxy, a link scanner).</param>
/// <param name="At">When.</param>
public sealed record ReportTrackingEvent(string Campaign, string Kind, string? Url, bool Machine, DateTimeOffset At);


/// <summary>A registered recipient of the data (Article 19): told of every rectification, erasure and restriction.</summary>
public sealed record ReportRecipient(string Name, string Kind, string Description, DateTimeOffset Since);

/// <summary>The subscriber as stored.</summary>
public sealed record ReportPerson(string Email, string Name, string Language, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One subscription with the list's purpose and legal basis.</summary>
public sealed record ReportSubscription(string List, string Purpose, string LegalBasis, string Status, DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt, DateTimeOffset? UnsubscribedAt);

/// <summary>One grant or withdrawal of consent, as recorded.</summary>
public sealed record ReportConsent(
    string List, string Kind, string Method, DateTimeOffset OccurredAt, string? Source, string? Ip, string? UserAgent, int? WordingVersion,
    string? WordingText, int? PrivacyNoticeVersion, DateTimeOffset? FormSubmittedAt, string? FormIp, string? Actor);

/// <summary>A campaign message sent to the person.</summary>
public sealed record ReportMessage(string Campaign, string Subject, DateTimeOffset? SentAt);

/// <summary>The facts of the processing from the privacy notice (Article 15(1)(a)-(h)).</summary>
public sealed record ReportProcessing(
    string Controller, string ControllerContact, string DpoContact, string Recipients, string Transfers, string Retention,
    string AutomatedDecisions, string Profiling, string Rights, string AuthorityName, string AuthorityContact, int? PrivacyNoticeVersion);

/// <summary>What the person provided (Article 20), machine-readable.</summary>
public sealed record PortableData(string Email, string Name, string Language, IReadOnlyDictionary<string, string> Attributes, PortableSubscription[] Subscriptions);

/// <summary>A list the person subscribed to.</summary>
public sealed record PortableSubscription(string List, string Status, DateTimeOffset SubscribedAt, DateTimeOffset? ConfirmedAt);

/// <summary>Reads what an organisation holds about the person of a request, when the report link is opened: always the data as it is now.</summary>
public sealed class PrivacyReports(LupaDatabase db, TimeProvider clock)
{
    /// <summary>How a legal basis reads in the report.</summary>
    public static string LegalBasisText(string basis, string language) => (basis, language) switch
    {
        (LegalBases.Customer, "fi") => "Asiakassuhde (suoramarkkinointi omille asiakkaille, sähköisen viestinnän palveluista annetun lain 200 §) ja oikeutettu etu, tietosuoja-asetuksen 6 artiklan 1 kohdan f alakohta",
        (LegalBases.Customer, _) => "Existing customer relationship (soft opt-in, Finnish Information Society Code s. 200) and legitimate interest, GDPR Art. 6(1)(f)",
        (_, "fi") => "Suostumus, tietosuoja-asetuksen 6 artiklan 1 kohdan a alakohta",
        _ => "Consent, GDPR Art. 6(1)(a)",
    };

    /// <summary>The access report of a request.</summary>
    public async Task<AccessReport> AccessAsync(OrganisationRow org, PrivacyRequestRow request, CancellationToken ct)
    {
        var store = new OrganisationStore(db, org.Id);
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        var content = notice is null ? new PrivacyNoticeContent() : PrivacyNoticeContent.FromJson(notice.Content);
        var processing = new ReportProcessing(content.ControllerName, content.ControllerContact, content.DpoContact, content.Recipients, content.Transfers,
            content.Retention, content.AutomatedDecisions, Profiling(request.Language, false), content.Rights, content.AuthorityName, content.AuthorityContact, notice?.Version);
        var subscriber = request.SubjectEmail is null ? null : await store.FindSubscriberAsync(request.SubjectEmail, ct);
        var now = clock.GetUtcNow();
        var recipients = (await new PrivacyRecipientStore(db, org.Id).ListAsync(ct: ct))
            .Select(r => new ReportRecipient(r.Name, r.Kind, r.Description, Time(r.CreatedAt))).ToArray();
        if (subscriber is null)
            return new AccessReport(org.Name, request.Id, now, request.SubjectEmail ?? "", null, [], [], [], [], processing, [], recipients);
        var lists = (await store.ListListsAsync(ct)).ToDictionary(l => l.Id);
        var subscriptions = (await store.ListSubscriptionsAsync(subscriber.Id, ct)).Select(s => new ReportSubscription(
            s.ListName, lists.GetValueOrDefault(s.ListId)?.Purpose ?? "", LegalBasisText(lists.GetValueOrDefault(s.ListId)?.LegalBasis ?? LegalBases.Consent, request.Language),
            s.Status, Time(s.CreatedAt), Time(s.ConfirmedAt), Time(s.UnsubscribedAt))).ToArray();
        var consents = await store.ListConsentRecordsAsync(subscriber.Id, ct);
        var history = consents.Select(r => new ReportConsent(
            lists.GetValueOrDefault(r.ListId)?.Name ?? r.ListSlug, r.Kind, r.Method, Time(r.OccurredAt), r.Source, r.Ip, r.UserAgent, r.WordingVersion,
            r.WordingText, r.PrivacyNoticeVersion, Time(r.FormSubmittedAt), r.FormIp, r.Actor)).ToArray();
        var sources = consents.Where(r => r.Kind == ConsentKinds.Grant)
            .Select(r => string.IsNullOrEmpty(r.Source) ? r.Method : $"{r.Method}: {r.Source}").Distinct().ToArray();
        var messages = (await new PrivacyRequestStore(db, org.Id).ListMessagesSentAsync(subscriber.Id, ct))
            .Select(m => new ReportMessage(m.CampaignName, m.Subject, Time(m.SentAt))).ToArray();
        var tracking = (await new TrackingStore(db, org.Id).PersonEventsAsync(subscriber.Id, ct))
            .Select(e => new ReportTrackingEvent(e.CampaignName, e.Kind == (int)Lupa.Domain.Tracking.TrackingKind.Click ? "click" : "open", e.Url, e.Machine == 1, Time(e.At))).ToArray();
        if (tracking.Length > 0)
            processing = processing with { Profiling = Profiling(request.Language, true) };
        return new AccessReport(org.Name, request.Id, now, subscriber.Email,
            new ReportPerson(subscriber.Email, subscriber.Name, subscriber.Language, SubscriberAttributes.Parse(subscriber.Attributes), Time(subscriber.CreatedAt), Time(subscriber.UpdatedAt)),
            subscriptions, history, messages, sources, processing, tracking, recipients);
    }

    /// <summary>What the person provided, or null when nothing is held about them.</summary>
    public async Task<PortableData?> PortableAsync(long orgId, PrivacyRequestRow request, CancellationToken ct)
    {
        var store = new OrganisationStore(db, orgId);
        var subscriber = request.SubjectEmail is null ? null : await store.FindSubscriberAsync(request.SubjectEmail, ct);
        if (subscriber is null)
            return null;
        var subscriptions = (await store.ListSubscriptionsAsync(subscriber.Id, ct))
            .Select(s => new PortableSubscription(s.ListName, s.Status, Time(s.CreatedAt), Time(s.ConfirmedAt))).ToArray();
        return new PortableData(subscriber.Email, subscriber.Name, subscriber.Language, SubscriberAttributes.Parse(subscriber.Attributes), subscriptions);
    }

    /// <summary>The portable data as CSV: a header and one row per subscription (one row without a list when there is none).</summary>
    public static string Csv(PortableData? data)
    {
        var csv = new StringBuilder("email,name,language,list,status,subscribed_at,confirmed_at,attributes\r\n");
        if (data is null)
            return csv.ToString();
        var attributes = data.Attributes.Count == 0 ? "" : JsonSerializer.Serialize(data.Attributes);
        var rows = data.Subscriptions.Length == 0 ? [null] : data.Subscriptions.Select(s => (PortableSubscription?)s).ToArray();
        foreach (var s in rows)
        {
            csv.Append(string.Join(',', CsvText.Field(data.Email), CsvText.Field(data.Name), data.Language, CsvText.Field(s?.List ?? ""), s?.Status ?? "",
                Iso(s?.SubscribedAt), Iso(s?.ConfirmedAt), CsvText.Field(attributes))).Append("\r\n");
        }
        return csv.ToString();
    }

    private static string Iso(DateTimeOffset? t) => t?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? "";

    private static string Profiling(string language, bool tracked) => (language == "fi", tracked) switch
    {
        (true, false) => "Lupa ei tallenna sinusta seurantatietoja (avauksia tai klikkauksia) eikä muodosta sinusta profiilia.",
        (false, false) => "Lupa keeps no tracking events (opens or clicks) about you and builds no profile of you.",
        (true, true) => "Organisaatio tallentaa viestiensä avaukset ja klikkaukset vastaanottajittain (alla). Voit vastustaa profilointia: silloin ne poistetaan eikä uusia tallenneta.",
        (false, true) => "The organisation keeps the opens and clicks of its messages per recipient (listed below). You may object to profiling: they are then deleted and no more are kept.",
    };

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
