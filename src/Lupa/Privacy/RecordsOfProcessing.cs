using System.Globalization;
using System.Text;
using Lupa.Campaigns;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Outbox;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>A party named in a record: its name and how to reach it.</summary>
/// <param name="Name">The name.</param>
/// <param name="Contact">Address, mail, phone.</param>
/// <param name="DpoContact">The data protection officer, if any.</param>
public sealed record RecordParty(string Name, string Contact, string DpoContact);

/// <summary>One processing activity of the controller's record.</summary>
/// <param name="Name">What the activity is.</param>
/// <param name="Purpose">Why the data is processed.</param>
/// <param name="LegalBasis">The legal basis (GDPR Article 6).</param>
/// <param name="DataSubjects">Whose data, with how many are held now.</param>
/// <param name="DataCategories">Which data.</param>
/// <param name="Sources">Where the data comes from.</param>
/// <param name="Recipients">Who receives it (names of <see cref="ControllerRecord.Recipients"/>).</param>
/// <param name="Retention">How long it is kept.</param>
public sealed record ProcessingActivity(
    string Name, string Purpose, string LegalBasis, string DataSubjects, IReadOnlyList<string> DataCategories, IReadOnlyList<string> Sources,
    IReadOnlyList<string> Recipients, string Retention);

/// <summary>A recipient of personal data.</summary>
/// <param name="Name">Who.</param>
/// <param name="Role">processor, sub-processor, relay, registered recipient, or as the privacy notice says.</param>
/// <param name="Receives">What they receive and why.</param>
public sealed record RecordRecipient(string Name, string Role, string Receives);

/// <summary>The record an organisation keeps as controller (GDPR Article 30(1)), generated from what Lupa knows.</summary>
/// <param name="Kind">Always <c>controller</c>.</param>
/// <param name="GeneratedAt">When it was generated; it describes the data and settings as they were then.</param>
/// <param name="Organisation">The organisation's name in Lupa.</param>
/// <param name="Slug">Its slug.</param>
/// <param name="Controller">The controller as its privacy notice names it (Article 30(1)(a)).</param>
/// <param name="Processor">The operator running Lupa, the controller's processor.</param>
/// <param name="PrivacyNoticeVersion">The privacy notice version the controller facts come from; null when none is published.</param>
/// <param name="Activities">The processing activities with purposes and legal bases (30(1)(b)).</param>
/// <param name="DataSubjectCategories">Categories of data subjects (30(1)(c)).</param>
/// <param name="DataCategories">Categories of personal data (30(1)(c)).</param>
/// <param name="Recipients">Categories of recipients (30(1)(d)).</param>
/// <param name="Transfers">Transfers to third countries (30(1)(e)).</param>
/// <param name="Retention">Time limits for erasure (30(1)(f)): the retention policy in force.</param>
/// <param name="SecurityMeasures">Technical and organisational security measures (30(1)(g), Article 32).</param>
public sealed record ControllerRecord(
    string Kind, DateTimeOffset GeneratedAt, string Organisation, string Slug, RecordParty Controller, RecordParty Processor, int? PrivacyNoticeVersion,
    IReadOnlyList<ProcessingActivity> Activities, IReadOnlyList<string> DataSubjectCategories, IReadOnlyList<string> DataCategories,
    IReadOnlyList<RecordRecipient> Recipients, string Transfers, IReadOnlyList<string> Retention, IReadOnlyList<string> SecurityMeasures);

/// <summary>One controller in the processor's record.</summary>
/// <param name="Organisation">The organisation's name in Lupa.</param>
/// <param name="Slug">Its slug.</param>
/// <param name="Controller">The controller as its privacy notice names it.</param>
/// <param name="Processing">The categories of processing carried out on its behalf (Article 30(2)(b)).</param>
/// <param name="Lists">Its lists.</param>
/// <param name="Subscribers">The people held for it.</param>
/// <param name="Retention">Its retention policy.</param>
public sealed record ProcessorController(
    string Organisation, string Slug, RecordParty Controller, IReadOnlyList<string> Processing, int Lists, long Subscribers, IReadOnlyList<string> Retention);

/// <summary>The record the operator keeps as processor for every organisation (GDPR Article 30(2)).</summary>
/// <param name="Kind">Always <c>processor</c>.</param>
/// <param name="GeneratedAt">When it was generated.</param>
/// <param name="Processor">The operator (30(2)(a)).</param>
/// <param name="Controllers">Each controller on whose behalf it acts, with the categories of processing (30(2)(a), (b)).</param>
/// <param name="SubProcessors">Relays, mailboxes and other processors it engages.</param>
/// <param name="Transfers">Transfers to third countries (30(2)(c)).</param>
/// <param name="SecurityMeasures">Technical and organisational security measures (30(2)(d)).</param>
public sealed record ProcessorRecord(
    string Kind, DateTimeOffset GeneratedAt, RecordParty Processor, IReadOnlyList<ProcessorController> Controllers, IReadOnlyList<RecordRecipient> SubProcessors,
    string Transfers, IReadOnlyList<string> SecurityMeasures);

/// <summary>
/// Generates the records of processing (GDPR Article 30) from what Lupa knows: lists with their purposes and legal
/// bases, the data held, the relays and processors configured, the retention policy in force and the security
/// measures Lupa applies. Nothing is typed twice: change a list, a relay or the policy and the record follows.
/// </summary>
public sealed class RecordsOfProcessing(LupaDatabase db, SystemStore system, IOptions<LupaOptions> options, TimeProvider clock)
{
    private readonly LupaOptions _o = options.Value;

    /// <summary>The organisation's record as controller.</summary>
    public async Task<ControllerRecord> ControllerAsync(OrganisationRow org, CancellationToken ct)
    {
        var store = new OrganisationStore(db, org.Id);
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        var content = notice is null ? PrivacyNoticeContent.DefaultFor(org.Name, "") : PrivacyNoticeContent.FromJson(notice.Content);
        var facts = await new RecordsOfProcessingStore(db, org.Id).FactsAsync(ct);
        var lists = await store.ListListsAsync(ct);
        var counts = await store.CountSubscriptionsAsync(ct);
        var policy = (await new RetentionStore(db, org.Id).GetPolicyAsync(ct)).Policy;
        var retention = policy.Describe();
        var recipients = await RecipientsAsync(org.Id, content, ct);
        var mailRecipients = recipients.Where(r => r.Role is "processor" or "relay" or "sub-processor").Select(r => r.Name).ToList();
        var everyone = recipients.Select(r => r.Name).ToList();

        var subscriberData = new List<string> { "Email address", "Name", "Language" };
        if (facts.AttributeKeys.Count > 0)
            subscriberData.Add("Attributes: " + string.Join(", ", facts.AttributeKeys));
        subscriberData.Add("Consent records: when, how, IP address and user agent, the wording and privacy-notice version shown");
        subscriberData.Add("Delivery records: campaign messages sent, bounces and complaints");
        subscriberData.Add("Restriction and objection marks");

        var activities = new List<ProcessingActivity>();
        foreach (var l in lists)
        {
            var c = counts.GetValueOrDefault(l.Id) ?? [];
            var sources = new List<string>
            {
                l.OptInMode == OptInModes.Double ? "The subscription form, with double opt-in (the person opens a confirmation link)" : "The subscription form (single opt-in)",
                "The API, with evidence of consent, or pending a confirmation mail",
            };
            if (facts.Imports > 0)
                sources.Add("Imports of the organisation's own lists, each row with evidence of consent");
            if (l.LegalBasis == LegalBases.Customer)
                sources.Add("The organisation's existing customers (soft opt-in)");
            activities.Add(new ProcessingActivity(
                $"Email marketing: {l.Name}",
                string.IsNullOrWhiteSpace(l.Purpose) ? (string.IsNullOrWhiteSpace(l.Description) ? $"Sending the list “{l.Name}”" : l.Description) : l.Purpose,
                PrivacyReports.LegalBasisText(l.LegalBasis, Languages.English),
                $"People subscribed to “{l.Name}”: {N(c.GetValueOrDefault(SubscriptionStatuses.Confirmed))} confirmed, {N(c.GetValueOrDefault(SubscriptionStatuses.Pending))} awaiting confirmation, {N(c.GetValueOrDefault(SubscriptionStatuses.Unsubscribed))} unsubscribed",
                subscriberData, sources, mailRecipients, string.Join(" ", retention[0], retention[1], retention[2])));
        }
        if (facts.TransactionalBases.Count > 0)
        {
            activities.Add(new ProcessingActivity("Transactional messages", "Messages a person needs for a service or contract (order, account, notices), sent through the API",
                string.Join("; ", facts.TransactionalBases.Select(LegalBasisName)), "Recipients of transactional messages",
                ["Email address", "Name", "The message and the values it was rendered with"], ["The organisation's own systems, through the API"], mailRecipients, retention[1]));
        }
        activities.Add(new ProcessingActivity("Data-subject requests (Articles 12-22)",
            "Answering requests of access, rectification, erasure, restriction, portability and objection within the deadline, and proving it",
            "Legal obligation, GDPR Art. 6(1)(c) with Articles 12-22", $"People who made a request ({N(facts.Requests)} held)",
            ["Email address", "Request type, channel, dates, deadline and outcome", "What the person wrote (for a correction: what to correct)"],
            ["The person, on the public request page (verified by a mailed link)", "The privacy officer, for requests by letter, phone or mail"], everyone, retention[3]));
        activities.Add(new ProcessingActivity("Bounce and complaint handling",
            "Keeping mail deliverable and honouring complaints: addresses that bounce or complain are suppressed",
            "Legitimate interest, GDPR Art. 6(1)(f); a complaint is honoured as an objection (Art. 21(3))", $"Recipients whose mail bounced or who complained ({N(facts.BounceEvents)} events held)",
            ["Email address (in the report)", "Status code, the receiving server's diagnostic", $"The raw report, kept {_o.Bounces.RawRetentionDays} days"],
            ["Delivery status notifications and feedback-loop reports from mailbox providers"], mailRecipients, retention[1]));
        activities.Add(new ProcessingActivity("Suppression list",
            "Keeping people who unsubscribed, objected, were erased, bounced or complained from being added again by an import or the API",
            "Legal obligation (Art. 17, 21(3)) and legitimate interest, GDPR Art. 6(1)(f)", $"People who left ({N(facts.Suppressions)} entries)",
            ["A keyed hash (HMAC-SHA256) of the address, never the address", "The reason and the date"], ["Unsubscribes, objections, erasures, bounces and complaints"], [],
            "Kept while the organisation uses Lupa: the hash is what keeps the person from being added again."));
        activities.Add(new ProcessingActivity("Audit trail (accountability, Art. 5(2))",
            "Recording every view, export, change and deletion of personal data by a person or an API key, to prove how the data was handled",
            "Legal obligation, GDPR Art. 6(1)(c) with Art. 5(2) and 24", "The organisation's staff and API keys (as actors); subscribers by id only",
            ["Staff login address or API key id", "What was done to which record (by id) and when", "Counts, never the data itself"], ["Lupa, as each action happens"], [],
            "Append-only and hash-chained; kept for the life of the service."));
        activities.Add(new ProcessingActivity("Staff accounts",
            "Signing in to Lupa and acting for the organisation with a role", "Contract or legitimate interest of the organisation, GDPR Art. 6(1)(b) or (f)",
            $"The organisation's staff with a login ({N(facts.Staff)})", ["Login address", "Name", "Role", "Password hash (PBKDF2)"], ["The organisation's owners and admins"], [],
            "Until the account is removed."));

        var subjects = new List<string>
        {
            $"Subscribers and former subscribers of the organisation's lists ({N(facts.Subscribers)} held, {N(facts.Restricted)} of them restricted)",
            "People who made a data-subject request",
            "Recipients of transactional messages",
            "The organisation's staff with a login",
        };
        var categories = subscriberData.Concat(["Data-subject requests: type, dates, outcome", "Keyed hashes of suppressed addresses", "Staff logins and roles"]).ToList();
        return new ControllerRecord("controller", clock.GetUtcNow(), org.Name, org.Slug,
            new RecordParty(string.IsNullOrWhiteSpace(content.ControllerName) ? org.Name : content.ControllerName, content.ControllerContact, content.DpoContact),
            Processor(), notice?.Version, activities, subjects, categories, recipients,
            string.IsNullOrWhiteSpace(content.Transfers) ? _o.Processor.Transfers : content.Transfers,
            [.. retention, .. string.IsNullOrWhiteSpace(content.Retention) ? Array.Empty<string>() : ["As the privacy notice says: " + content.Retention]],
            SecurityMeasures(facts.SenderDomains));
    }

    /// <summary>The operator's record as processor, across every organisation.</summary>
    public async Task<ProcessorRecord> ProcessorAsync(CancellationToken ct)
    {
        var controllers = new List<ProcessorController>();
        foreach (var org in await system.ListOrganisationsAsync(ct))
        {
            var store = new OrganisationStore(db, org.Id);
            var notice = await store.GetPrivacyNoticeAsync(ct: ct);
            var content = notice is null ? PrivacyNoticeContent.DefaultFor(org.Name, "") : PrivacyNoticeContent.FromJson(notice.Content);
            var policy = (await new RetentionStore(db, org.Id).GetPolicyAsync(ct)).Policy;
            controllers.Add(new ProcessorController(org.Name, org.Slug,
                new RecordParty(string.IsNullOrWhiteSpace(content.ControllerName) ? org.Name : content.ControllerName, content.ControllerContact, content.DpoContact),
                [
                    "Storing lists, subscribers and their consent records",
                    "Subscription forms with double opt-in, the preference centre and one-click unsubscribe",
                    "Imports of the organisation's lists with evidence of consent",
                    "Sending campaigns, system and transactional mail through the relays below",
                    "Receiving and recording bounces and complaints",
                    "The register of data-subject requests and their fulfilment (access, portability, rectification, erasure, restriction, objection)",
                    "Applying the organisation's retention policy daily, and the audit trail",
                ],
                (await store.ListListsAsync(ct)).Count, await store.CountSubscribersAsync(ct), policy.Describe()));
        }
        return new ProcessorRecord("processor", clock.GetUtcNow(), Processor(), controllers, Infrastructure(), _o.Processor.Transfers, SecurityMeasures(null));
    }

    /// <summary>
    /// The organisation's registered recipients (Article 19: processors and integrations told of rectification,
    /// erasure and restriction by signed webhook), as registered under Privacy → Recipients.
    /// </summary>
    private async Task<IReadOnlyList<RecordRecipient>> RegisteredRecipientsAsync(long orgId, CancellationToken ct) =>
        [.. (await new PrivacyRecipientStore(db, orgId).ListAsync(ct: ct)).Select(r => new RecordRecipient(
            r.Name, r.Kind, string.IsNullOrWhiteSpace(r.Description)
                ? "Told of every rectification, erasure and restriction (signed webhook)"
                : r.Description + "; told of every rectification, erasure and restriction (signed webhook)"))];

    private async Task<IReadOnlyList<RecordRecipient>> RecipientsAsync(long orgId, PrivacyNoticeContent content, CancellationToken ct)
    {
        var all = new List<RecordRecipient>
        {
            new(_o.Processor.Name, "processor", "Everything listed here: it runs Lupa and stores the data on the organisation's behalf"),
        };
        all.AddRange(Infrastructure());
        all.AddRange(await RegisteredRecipientsAsync(orgId, ct));
        if (!string.IsNullOrWhiteSpace(content.Recipients))
            all.Add(new RecordRecipient(content.Recipients, "as the privacy notice says", "As stated by the organisation"));
        return all;
    }

    // The relays, the bounce mailbox and the sub-processors the operator configured.
    private List<RecordRecipient> Infrastructure()
    {
        var all = new List<RecordRecipient>();
        foreach (var r in CampaignSender.EffectiveRelays(_o))
        {
            var catcher = string.IsNullOrWhiteSpace(_o.Smtp.Host) && _o.Relays.All(x => string.IsNullOrWhiteSpace(x.Host)) && OutboxWorker.CatcherEnabled(_o);
            all.Add(catcher
                ? new RecordRecipient("The embedded mail catcher (development: no mail leaves the server)", "relay", "Every outgoing message")
                : new RecordRecipient($"Mail relay {r.Name ?? r.Host} ({r.Host}:{r.Port.ToString(CultureInfo.InvariantCulture)}, TLS {r.Tls})", "relay",
                    "The recipient's address and the message, to deliver it"));
        }
        if (!string.IsNullOrWhiteSpace(_o.Bounces.Mailbox.Host))
            all.Add(new RecordRecipient($"Bounce mailbox {_o.Bounces.Mailbox.Host}", "sub-processor", "Bounce and complaint reports (with the addresses they name) until Lupa reads them"));
        all.AddRange(_o.Processor.SubProcessors.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => new RecordRecipient(s, "sub-processor", "As the operator states")));
        return all;
    }

    private RecordParty Processor() => new(_o.Processor.Name, _o.Processor.Contact, _o.Processor.DpoContact);

    // What Lupa itself does to keep the data safe, as configured on this installation.
    private IReadOnlyList<string> SecurityMeasures(long? senderDomains)
    {
        var relays = CampaignSender.EffectiveRelays(_o);
        var https = _o.PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        return
        [
            https ? $"Pages, links and the API are served over HTTPS ({_o.PublicUrl})." : $"Warning: the public address {_o.PublicUrl} is not HTTPS; put Lupa behind a TLS-terminating proxy.",
            "Access by role (owner, admin, marketer, privacy officer, viewer); every query is bound to one organisation; passwords are hashed with PBKDF2; sign-in is throttled; session cookies are HttpOnly with antiforgery tokens on every form.",
            "API keys are stored only as SHA-256 hashes, shown once, revocable, and reach only their own organisation's data.",
            "Links in mail (confirmation, unsubscribe, preferences, request verification, access reports) are signed with HMAC-SHA256 and expire.",
            "The suppression list holds only keyed hashes (HMAC-SHA256) of addresses; an erased person's requests keep only that hash.",
            "Erasure deletes every row of the person in one transaction and then scrubs the database files (SQLite: secure_delete and WAL truncation; PostgreSQL: VACUUM FULL of the personal tables).",
            "Restriction (Art. 18) keeps a person out of every send, segment, export and import.",
            _o.Secrets.AuditKey is { Length: > 0 }
                ? "An append-only, hash-chained audit trail of every view, export, change and deletion of personal data; its head carries a MAC under a key kept outside the database."
                : "An append-only, hash-chained audit trail of every view, export, change and deletion of personal data (its head carries no keyed MAC: set Lupa:Secrets:AuditKey).",
            (_o.Campaigns.DkimSigning ? "Outgoing campaign mail is DKIM-signed by Lupa" : "Outgoing campaign mail is DKIM-signed by the relay (Lupa:Campaigns:DkimSigning is off)") +
                (senderDomains is { } n ? (n == 0 ? "; no sender domain has a key yet." : $"; {N(n)} sender domain{(n == 1 ? " has" : "s have")} a key.") : "."),
            relays.Count == 0 ? "No relay is configured: no mail leaves this server." :
                "Relay connections: " + string.Join("; ", relays.Select(r => $"{r.Host}:{r.Port.ToString(CultureInfo.InvariantCulture)} TLS {r.Tls}")) + ".",
            $"The public forms are rate-limited ({N(_o.PublicForm.RateLimitPerMinute)} posts a minute per IP address) and carry a honeypot field.",
            "Logs carry ids, never addresses or names.",
            _o.Retention.Enabled
                ? $"Retention is applied every day at {_o.Retention.Hour.ToString("00", CultureInfo.InvariantCulture)}:00 ({_o.Privacy.TimeZone}) and what it removed is logged."
                : "This node does not run the daily retention job (Lupa:Retention:Enabled is false): another node or a scheduled 'lupa retention run' must.",
            "Backups, disk encryption and the database server's own access control are the operator's: Lupa cannot erase from backups or write-ahead logs kept elsewhere.",
        ];
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string LegalBasisName(string basis) => basis switch
    {
        "contract" => "Contract, GDPR Art. 6(1)(b)",
        "legal_obligation" => "Legal obligation, GDPR Art. 6(1)(c)",
        "vital_interests" => "Vital interests, GDPR Art. 6(1)(d)",
        "public_task" => "Public task, GDPR Art. 6(1)(e)",
        "legitimate_interests" => "Legitimate interests, GDPR Art. 6(1)(f)",
        "consent" => "Consent, GDPR Art. 6(1)(a)",
        _ => basis,
    };
}

/// <summary>The records of processing as Markdown, for the download and for anyone who keeps them in a document.</summary>
public static class RecordsMarkdown
{
    /// <summary>The controller's record.</summary>
    public static string Write(ControllerRecord r)
    {
        var md = new StringBuilder();
        md.Append("# Record of processing activities: ").AppendLine(Text(r.Organisation)).AppendLine();
        md.AppendLine($"GDPR Article 30(1). Generated by Lupa on {Date(r.GeneratedAt)} from the organisation's lists, data and settings" +
            (r.PrivacyNoticeVersion is { } v ? $" and privacy notice version {v}." : " (no privacy notice is published yet)."));
        md.AppendLine();
        md.AppendLine("## Controller").AppendLine();
        Party(md, r.Controller);
        md.AppendLine($"- Processor: {Text(r.Processor.Name)}{(r.Processor.Contact.Length > 0 ? ", " + Text(r.Processor.Contact) : "")}").AppendLine();
        md.AppendLine("## Processing activities").AppendLine();
        var i = 0;
        foreach (var a in r.Activities)
        {
            md.AppendLine($"### {++i}. {Text(a.Name)}").AppendLine();
            md.AppendLine("| | |").AppendLine("|---|---|");
            Row(md, "Purpose", a.Purpose);
            Row(md, "Legal basis", a.LegalBasis);
            Row(md, "Data subjects", a.DataSubjects);
            Row(md, "Personal data", string.Join("; ", a.DataCategories));
            Row(md, "Sources", string.Join("; ", a.Sources));
            Row(md, "Recipients", a.Recipients.Count == 0 ? "none outside the organisation and its processor" : string.Join("; ", a.Recipients));
            Row(md, "Retention", a.Retention);
            md.AppendLine();
        }
        List(md, "Categories of data subjects", r.DataSubjectCategories);
        List(md, "Categories of personal data", r.DataCategories);
        md.AppendLine("## Recipients").AppendLine();
        foreach (var x in r.Recipients)
            md.AppendLine($"- {Text(x.Name)} ({Text(x.Role)}): {Text(x.Receives)}");
        md.AppendLine().AppendLine("## Transfers to third countries").AppendLine().AppendLine(Text(r.Transfers)).AppendLine();
        List(md, "Time limits for erasure", r.Retention);
        List(md, "Technical and organisational security measures (Article 32)", r.SecurityMeasures);
        return md.ToString();
    }

    /// <summary>The operator's record as processor.</summary>
    public static string Write(ProcessorRecord r)
    {
        var md = new StringBuilder();
        md.AppendLine("# Record of processing activities carried out as processor").AppendLine();
        md.AppendLine($"GDPR Article 30(2). Generated by Lupa on {Date(r.GeneratedAt)} from its organisations and configuration.").AppendLine();
        md.AppendLine("## Processor").AppendLine();
        Party(md, r.Processor);
        md.AppendLine().AppendLine("## Controllers and the processing carried out for them").AppendLine();
        foreach (var c in r.Controllers)
        {
            md.AppendLine($"### {Text(c.Organisation)} ({Text(c.Slug)})").AppendLine();
            Party(md, c.Controller);
            md.AppendLine($"- Lists: {c.Lists.ToString(CultureInfo.InvariantCulture)}; people held: {c.Subscribers.ToString("N0", CultureInfo.InvariantCulture)}").AppendLine();
            foreach (var p in c.Processing)
                md.AppendLine($"- {Text(p)}");
            md.AppendLine().AppendLine("Retention:").AppendLine();
            foreach (var p in c.Retention)
                md.AppendLine($"- {Text(p)}");
            md.AppendLine();
        }
        md.AppendLine("## Sub-processors and relays").AppendLine();
        if (r.SubProcessors.Count == 0)
            md.AppendLine("- None configured.");
        foreach (var x in r.SubProcessors)
            md.AppendLine($"- {Text(x.Name)} ({Text(x.Role)}): {Text(x.Receives)}");
        md.AppendLine().AppendLine("## Transfers to third countries").AppendLine().AppendLine(Text(r.Transfers)).AppendLine();
        List(md, "Technical and organisational security measures (Article 32)", r.SecurityMeasures);
        return md.ToString();
    }

    private static void Party(StringBuilder md, RecordParty p)
    {
        md.AppendLine($"- Name: {Text(p.Name)}");
        md.AppendLine($"- Contact: {(p.Contact.Length > 0 ? Text(p.Contact) : "(not given)")}");
        md.AppendLine($"- Data protection officer: {(p.DpoContact.Length > 0 ? Text(p.DpoContact) : "(none appointed)")}");
    }

    private static void List(StringBuilder md, string heading, IReadOnlyList<string> items)
    {
        md.AppendLine($"## {heading}").AppendLine();
        foreach (var x in items)
            md.AppendLine($"- {Text(x)}");
        md.AppendLine();
    }

    private static void Row(StringBuilder md, string name, string value) => md.AppendLine($"| {name} | {Cell(value)} |");

    // Text a user wrote: one line, and nothing Markdown would read as a heading, list, table cell or HTML.
    private static string Text(string s) => s.Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Trim();

    private static string Cell(string s) => Text(s).Replace("|", "\\|", StringComparison.Ordinal);

    private static string Date(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
