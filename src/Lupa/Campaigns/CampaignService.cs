using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Mail.Templates;
using Lupa.Outbox;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Campaigns;

/// <summary>What a person sent to create or change a campaign, before it is checked.</summary>
public sealed class CampaignInput
{
    public string? Name { get; set; }
    public long[]? ListIds { get; set; }
    public string? Segment { get; set; }
    public string? FromName { get; set; }
    public string? FromAddress { get; set; }
    public string? ReplyTo { get; set; }
    public string? Subject { get; set; }
    public string? Preheader { get; set; }
    public string? Body { get; set; }
    public string? BodyFormat { get; set; }
}

/// <summary>A field a person must correct.</summary>
public sealed record FieldProblem(string Field, string Message);

/// <summary>Something that stops a campaign from starting.</summary>
public sealed record ComplianceProblem(string Code, string Message);

/// <summary>Why an action on a campaign was refused: missing, in the wrong state, or failing checks.</summary>
public sealed record CampaignRefusal(int Status, string Code, string Message, IReadOnlyList<ComplianceProblem>? Problems = null);

/// <summary>
/// The campaign rules as the API, the admin pages and the CLI use them: validation, the compliance
/// check that guards the start, starting (fixing the recipients), scheduling, pause, resume, cancel,
/// preview and test sends.
/// </summary>
public sealed class CampaignService(
    LupaDatabase db,
    CampaignMailFactory mails,
    CampaignSignal signal,
    OutboxSignal outboxSignal,
    IOptions<LupaOptions> options,
    TimeProvider clock)
{
    /// <summary>Most addresses a test send goes to.</summary>
    public const int MaxTestAddresses = 10;

    /// <summary>The campaign store of an organisation.</summary>
    public CampaignStore For(long orgId) => new(db, orgId);

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Checks what a person wrote; returns the fields to store or every problem.</summary>
    public async Task<(CampaignFields? Fields, List<FieldProblem> Problems)> ValidateAsync(long orgId, CampaignInput input, CancellationToken ct, bool transactional = false)
    {
        var problems = new List<FieldProblem>();
        void Check(string field, string? problem)
        {
            if (problem is not null)
                problems.Add(new FieldProblem(field, problem));
        }
        Check(transactional ? "subject" : "name", TextRules.SingleLineProblem(input.Name, 200) ?? (string.IsNullOrWhiteSpace(input.Name) ? "Give the campaign a name." : null));
        var listIds = (input.ListIds ?? []).Distinct().ToArray();
        if (listIds.Length == 0 && !transactional)
        {
            Check("listIds", "Choose at least one list.");
        }
        else if (listIds.Length > 0)
        {
            var lists = (await new OrganisationStore(db, orgId).ListListsAsync(ct)).Select(l => l.Id).ToHashSet();
            foreach (var id in listIds.Where(id => !lists.Contains(id)))
                Check("listIds", $"List {id} does not exist in this organisation.");
        }
        var segment = Segment.Parse(input.Segment);
        if (!segment.IsOk)
            Check("segment", segment.Reason);
        Check("fromName", TextRules.NameProblem(input.FromName ?? "", 200));
        var from = EmailAddress.Parse(input.FromAddress);
        if (!from.IsOk)
            Check("fromAddress", from.Reason);
        EmailAddress? replyTo = null;
        if (!string.IsNullOrWhiteSpace(input.ReplyTo))
        {
            var r = EmailAddress.Parse(input.ReplyTo);
            if (r.IsOk)
                replyTo = r.Value;
            else
                Check("replyTo", r.Reason);
        }
        Check("subject", string.IsNullOrWhiteSpace(input.Subject) ? "Write a subject." : TextRules.SingleLineProblem(input.Subject, 500));
        Check("preheader", TextRules.SingleLineProblem(input.Preheader ?? "", 500));
        var format = string.IsNullOrWhiteSpace(input.BodyFormat) ? "markdown" : input.BodyFormat.Trim().ToLowerInvariant();
        if (format is not ("markdown" or "html"))
            Check("bodyFormat", "Use markdown or html.");
        if (string.IsNullOrWhiteSpace(input.Body))
            Check("body", "Write the message.");
        else if (input.Body.Length > 200_000)
            Check("body", "The body must be at most 200,000 characters.");
        if (problems.Count == 0)
        {
            var layout = await For(orgId).GetLayoutAsync(ct);
            var compiled = CampaignTemplate.Compile(
                new CampaignContent(input.Name ?? "", input.Subject!, input.Preheader ?? "", input.Body!, format),
                new OrganisationLayout(layout.Name, layout.PostalAddress, "en", layout.BrandColour, layout.CustomLayout));
            if (!compiled.IsOk)
                Check(compiled.Reason!.StartsWith("subject", StringComparison.OrdinalIgnoreCase) ? "subject"
                    : compiled.Reason.StartsWith("preheader", StringComparison.OrdinalIgnoreCase) ? "preheader" : "body", compiled.Reason);
        }
        if (problems.Count > 0)
            return (null, problems);
        return (new CampaignFields(input.Name!.Trim(), listIds, segment.Value!.IsEmpty ? "" : segment.Value.ToJson(), (input.FromName ?? "").Trim(),
            from.Value!.Value, replyTo?.Value, input.Subject!.Trim(), (input.Preheader ?? "").Trim(), input.Body!, format), problems);
    }

    /// <summary>
    /// Every reason the campaign may not start: no unsubscribe link, no postal address, no DKIM key
    /// for the sender domain, a consent list whose members lack evidence, a template that fails for
    /// some recipient.
    /// </summary>
    public async Task<IReadOnlyList<ComplianceProblem>> CheckAsync(CampaignRow campaign, CancellationToken ct)
    {
        var problems = new List<ComplianceProblem>();
        if (await new AcceptableUseStore(db).OpenAsync(campaign.OrgId, ct) is { } suspension)
            problems.Add(new ComplianceProblem(SuspendedCode, SuspendedMessage(suspension)));
        var o = options.Value;
        var orgStore = new OrganisationStore(db, campaign.OrgId);
        var store = For(campaign.OrgId);
        var lists = (await orgStore.ListListsAsync(ct)).ToDictionary(l => l.Id);
        var chosen = campaign.ListIdArray();
        if (chosen.Length == 0 || chosen.Any(id => !lists.ContainsKey(id)))
            problems.Add(new ComplianceProblem("lists", "The campaign names a list that no longer exists, or none."));
        var mail = await mails.PrepareAsync(campaign, ct);
        if (!mail.IsOk)
        {
            problems.Add(new ComplianceProblem("template", mail.Reason!));
        }
        else
        {
            if (!mail.Value!.Template.LinksUnsubscribe)
                problems.Add(new ComplianceProblem("unsubscribe_link", "The message has no unsubscribe link in both its HTML and text parts: the layout must use {{ unsubscribe_url }}."));
            if (!mail.Value.Template.ShowsPostalAddress)
                problems.Add(new ComplianceProblem("postal_address", "The organisation's postal address is missing from the message: set it under Settings → Layout."));
        }
        var domain = CampaignMail.Domain(campaign.FromAddress);
        var senderDomains = await store.ListSenderDomainsAsync(ct);
        if (senderDomains.All(d => d.Domain != domain))
        {
            problems.Add(new ComplianceProblem("dkim_key",
                $"{domain} is not a sender domain of the organisation and has no DKIM key: add it under Sender domains and publish its DNS record."));
        }
        var consentLists = chosen.Where(id => lists.TryGetValue(id, out var l) && l.LegalBasis == LegalBases.Consent).ToArray();
        foreach (var (listId, count) in await store.CountWithoutEvidenceAsync(consentLists, ct))
        {
            problems.Add(new ComplianceProblem("consent_evidence",
                $"{count} confirmed member(s) of the list '{lists[listId].Name}' have no record of consent; the list's legal basis is consent."));
        }
        if (mail.IsOk)
        {
            var segment = Segment.Parse(campaign.Segment).Value ?? Segment.Empty;
            var sample = await store.SampleSelectionAsync(campaign, segment, Now(), o.Campaigns.CheckRenderSample, ct);
            var failures = 0;
            string? first = null;
            foreach (var s in sample)
            {
                var r = mail.Value!.Render(new CampaignRecipient(s.Id, s.Email, s.Name, s.Language, s.Attributes));
                if (!r.IsOk)
                {
                    failures++;
                    first ??= $"subscriber {s.Id}: {r.Reason}";
                }
            }
            if (failures > 0)
                problems.Add(new ComplianceProblem("render", $"The template fails for {failures} of {sample.Count} subscribers tried; first: {first}"));
        }
        return problems;
    }

    /// <summary>Starts now: checks, fixes the recipients and wakes the senders.</summary>
    public async Task<CampaignRefusal?> StartAsync(long orgId, long id, CancellationToken ct)
    {
        var store = For(orgId);
        var campaign = await store.GetAsync(id, ct);
        if (campaign is null)
            return new CampaignRefusal(404, "not_found", "No such campaign.");
        var allowed = CampaignStatus.After(campaign.Status, CampaignStatus.Action.Start);
        if (!allowed.IsOk)
            return new CampaignRefusal(409, allowed.Code!, allowed.Reason!);
        if (await SuspendedAsync(orgId, ct) is { } suspended)
            return suspended;
        var problems = await CheckAsync(campaign, ct);
        if (problems.Count > 0)
            return new CampaignRefusal(422, "compliance", "The compliance check found problems; the campaign was not started.", problems);
        var segment = Segment.Parse(campaign.Segment).Value!;
        var total = await store.StartAsync(campaign, segment, Now(), ct);
        if (total is null)
            return await SuspendedAsync(orgId, ct) ?? new CampaignRefusal(409, "campaign_state", "The campaign changed state meanwhile; reload it.");
        signal.Notify();
        return null;
    }

    /// <summary>
    /// Starts a scheduled campaign whose time has come. If the check now finds problems (the template
    /// or a list changed meanwhile), it goes back to draft with the reason, and nothing is sent.
    /// </summary>
    public async Task StartScheduledAsync(CampaignRow campaign, CancellationToken ct)
    {
        var store = For(campaign.OrgId);
        var problems = await CheckAsync(campaign, ct);
        if (problems.Count > 0)
        {
            await store.ChangeStatusAsync(campaign.Id, [CampaignStatus.Scheduled], CampaignStatus.Draft,
                "The scheduled start was refused by the compliance check: " + string.Join(" ", problems.Select(p => p.Message)), false, Now(), ct: ct);
            return;
        }
        await store.StartAsync(campaign, Segment.Parse(campaign.Segment).Value!, Now(), ct);
    }

    /// <summary>Schedules the start for a time in a time zone.</summary>
    public async Task<CampaignRefusal?> ScheduleAsync(long orgId, long id, string? at, string? timeZone, CancellationToken ct)
    {
        var store = For(orgId);
        var campaign = await store.GetAsync(id, ct);
        if (campaign is null)
            return new CampaignRefusal(404, "not_found", "No such campaign.");
        var allowed = CampaignStatus.After(campaign.Status, CampaignStatus.Action.Schedule);
        if (!allowed.IsOk)
            return new CampaignRefusal(409, allowed.Code!, allowed.Reason!);
        if (await SuspendedAsync(orgId, ct) is { } suspended)
            return suspended;
        var when = CampaignStatus.ScheduledTime(at, timeZone);
        if (!when.IsOk)
            return new CampaignRefusal(422, when.Code!, when.Reason!);
        if (when.Value <= clock.GetUtcNow())
            return new CampaignRefusal(422, "scheduled_at", "The time is in the past; start the campaign now instead.");
        var problems = await CheckAsync(campaign, ct);
        if (problems.Count > 0)
            return new CampaignRefusal(422, "compliance", "The compliance check found problems; the campaign was not scheduled.", problems);
        var ok = await store.ChangeStatusAsync(id, [CampaignStatus.Draft, CampaignStatus.Scheduled], CampaignStatus.Scheduled, null, false, Now(),
            when.Value.ToUnixTimeMilliseconds(), timeZone?.Trim(), ct);
        return ok ? null : new CampaignRefusal(409, "campaign_state", "The campaign changed state meanwhile; reload it.");
    }

    /// <summary>Pause, resume, cancel, or back from scheduled to draft.</summary>
    public async Task<CampaignRefusal?> ActAsync(long orgId, long id, CampaignStatus.Action action, CancellationToken ct)
    {
        var store = For(orgId);
        var campaign = await store.GetAsync(id, ct);
        if (campaign is null)
            return new CampaignRefusal(404, "not_found", "No such campaign.");
        var next = CampaignStatus.After(campaign.Status, action);
        if (!next.IsOk)
            return new CampaignRefusal(409, next.Code!, next.Reason!);
        if (action == CampaignStatus.Action.Resume && await SuspendedAsync(orgId, ct) is { } suspended)
            return suspended;
        var ok = await store.ChangeStatusAsync(id, [campaign.Status], next.Value!, null, false, Now(), ct: ct);
        if (!ok)
            return (next.Value == CampaignStatus.Sending ? await SuspendedAsync(orgId, ct) : null)
                ?? new CampaignRefusal(409, "campaign_state", "The campaign changed state meanwhile; reload it.");
        if (next.Value == CampaignStatus.Sending)
            signal.Notify();
        return null;
    }

    /// <summary>The code of the refusal, and of the compliance problem, while the organisation's sending is suspended.</summary>
    public const string SuspendedCode = "sending_suspended";

    /// <summary>What a person of the organisation reads while its sending is suspended.</summary>
    public static string SuspendedMessage(SuspensionRow s) =>
        $"The sending of {s.OrgName} is suspended under the acceptable use policy: {s.Reason} No campaign can start or resume until the operator lifts the suspension.";

    // 403 while the organisation's sending is suspended: nothing in the request can change that.
    private async Task<CampaignRefusal?> SuspendedAsync(long orgId, CancellationToken ct) =>
        await new AcceptableUseStore(db).OpenAsync(orgId, ct) is { } s ? new CampaignRefusal(403, SuspendedCode, SuspendedMessage(s)) : null;

    /// <summary>The rendered message for a subscriber of the organisation (or a sample person when none is given).</summary>
    public async Task<Outcome<RenderedMessage>> PreviewAsync(CampaignRow campaign, SubscriberRow? subscriber, CancellationToken ct)
    {
        var mail = await mails.PrepareAsync(campaign, ct);
        if (!mail.IsOk)
            return Outcome<RenderedMessage>.Fail(mail.Code!, mail.Reason!);
        return mail.Value!.Render(Recipient(subscriber));
    }

    /// <summary>Sends the campaign, rendered for <paramref name="subscriber"/> (or a sample person), to up to ten addresses.</summary>
    public async Task<Outcome<int>> SendTestAsync(CampaignRow campaign, SubscriberRow? subscriber, IReadOnlyList<EmailAddress> to, CancellationToken ct)
    {
        if (to.Count is 0 or > MaxTestAddresses)
            return Outcome<int>.Fail("addresses", $"Give one to {MaxTestAddresses} addresses.");
        var mail = await mails.PrepareAsync(campaign, ct);
        if (!mail.IsOk)
            return Outcome<int>.Fail(mail.Code!, mail.Reason!);
        var store = new OrganisationStore(db, campaign.OrgId);
        var recipient = Recipient(subscriber);
        foreach (var address in to)
        {
            var messageId = MimeKit.Utils.MimeUtils.GenerateMessageId(CampaignMail.Domain(campaign.FromAddress));
            var built = mail.Value!.Build(recipient with { Email = address.Value }, "[Test] ", messageId: messageId);
            if (!built.IsOk)
                return Outcome<int>.Fail(built.Code!, built.Reason!);
            await store.EnqueueAsync(new OutboxMessage("campaign_test", messageId, campaign.FromAddress, address.Value, built.Value!), Now(), ct);
        }
        outboxSignal.Notify();
        return Outcome<int>.Ok(to.Count);
    }

    private static CampaignRecipient Recipient(SubscriberRow? s) =>
        s is null ? new CampaignRecipient(0, "subscriber@example.com", "Sample Subscriber", "en", "{}") : new CampaignRecipient(s.Id, s.Email, s.Name, s.Language, s.Attributes);
}

/// <summary>Wakes the campaign senders when a campaign starts or resumes.</summary>
public sealed class CampaignSignal : WakeSignal;
