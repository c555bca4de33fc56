using System.Net;
using Lupa.Domain;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Outbox;
using Lupa.Security;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Subscriptions;

/// <summary>
/// The life of a subscription: the request (form or API), the confirmation link, the one-click
/// unsubscribe. Each step writes its proof in the same transaction as its change.
/// </summary>
public sealed class SubscriptionService(
    LupaDatabase db,
    SystemStore system,
    PublicLinks links,
    LinkTokens tokens,
    OutboxSignal outboxSignal,
    Lupa.Tracking.TrackingBuffer tracking,
    IOptions<LupaOptions> options,
    TimeProvider clock)
{
    private readonly LupaOptions _options = options.Value;

    /// <summary>The store of one organisation.</summary>
    public OrganisationStore For(long orgId) => new(db, orgId);

    /// <summary>Records a request to subscribe and queues the confirmation mail.</summary>
    public async Task<SubscriptionRequestResult> RequestAsync(
        OrganisationRow org, ListRow list, EmailAddress email, string name, string? ip, string? userAgent, string source, CancellationToken ct,
        bool fromForm = true, int? noticeVersion = null, ConsentWordingRow? wordingShown = null)
    {
        var store = For(org.Id);
        noticeVersion ??= (await store.GetPrivacyNoticeAsync(ct: ct))?.Version;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var wordingVersion = wordingShown?.Version ?? list.WordingVersion;
        var wordingText = wordingShown?.Text ?? list.WordingText;
        var wordingHash = wordingShown?.Hash ?? list.WordingHash;
        if (fromForm && list.OptInMode == OptInModes.Single)
        {
            // Single opt-in: the form post itself is the grant; no confirmation mail.
            return await store.AddConfirmedAsync(email.Value, name, list.Language, list.Id, new NewConsentRecord
            {
                Kind = ConsentKinds.Grant,
                Method = ConsentMethods.Form,
                OccurredAt = now,
                Ip = ip,
                UserAgent = Truncate(userAgent, 512),
                Source = source,
                WordingVersion = wordingVersion,
                WordingText = wordingText,
                WordingHash = wordingHash,
                PrivacyNoticeVersion = noticeVersion,
            }, now, ct, selfService: true);
        }
        var request = new SubscriptionRequest(list.Id, email.Value, name, list.Language, now, ip, Truncate(userAgent, 512), source, wordingVersion, noticeVersion);
        var result = await store.RequestSubscriptionAsync(
            request,
            _options.PublicForm.ResendAfterMinutes * 60_000L,
            (subscriber, subscriptionId, requestAt) => ConfirmationToRender(subscriber.Email, subscriptionId, requestAt),
            ct);
        if (result.ConfirmationQueued)
            outboxSignal.Notify();
        return result;
    }

    /// <summary>
    /// The outbox row of a confirmation mail that the sender renders when it sends it: the form's write
    /// transaction then holds SQLite's single writer only for the rows, not for building MIME.
    /// </summary>
    private OutboxMessage ConfirmationToRender(string email, long subscriptionId, long requestAt) =>
        new("confirmation", MimeKit.Utils.MimeUtils.GenerateMessageId(links.MailDomain), SystemFromAddress(), email, [])
        {
            RenderRef = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:{requestAt}"),
        };

    /// <summary>
    /// Renders a confirmation queued by <see cref="ConfirmationToRender"/>, or null when there is nothing
    /// to confirm any more (the person confirmed, unsubscribed or was erased meanwhile).
    /// </summary>
    public async Task<byte[]?> RenderAsync(OutboxRow row, CancellationToken ct)
    {
        var parts = (row.RenderRef ?? "").Split(':');
        if (parts.Length != 2 || !long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var subscriptionId)
            || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var requestAt))
            return null;
        var store = For(row.OrgId);
        var subscription = await store.GetSubscriptionAsync(subscriptionId, ct);
        if (subscription is null || subscription.Status != SubscriptionStatuses.Pending || subscription.RequestAt != requestAt)
            return null;
        var subscriber = await store.GetSubscriberAsync(subscription.SubscriberId, ct);
        var (org, list) = await OrganisationAndListAsync(row.OrgId, subscription.ListId, ct);
        if (subscriber is null || list is null || org is null)
            return null;
        return BuildConfirmation(org, list, subscriber.Email, subscriber.Name, subscriptionId, requestAt, row.MessageId).Bytes;
    }

    // Rendering a burst of confirmations reads the same organisation and list again and again; a few
    // seconds of reuse is fine for a mail (the link and the recorded wording do not depend on it).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long Org, long List), (OrganisationRow? Org, ListRow? List, DateTimeOffset Until)> _rendering = new();

    private async Task<(OrganisationRow? Org, ListRow? List)> OrganisationAndListAsync(long orgId, long listId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_rendering.TryGetValue((orgId, listId), out var hit) && hit.Until > now)
            return (hit.Org, hit.List);
        var org = await system.GetOrganisationAsync(orgId, ct);
        var list = await For(orgId).GetListAsync(listId, ct);
        if (_rendering.Count > 10_000)
            _rendering.Clear();
        _rendering[(orgId, listId)] = (org, list, now + PublicFormCache.Lifetime);
        return (org, list);
    }

    /// <summary>The confirmation (or re-permission) mail of a pending subscription, built now, in the list's language.</summary>
    public OutboxMessage ConfirmationMail(OrganisationRow org, ListRow list, string email, string name, long subscriptionId, long requestAt)
    {
        var (messageId, bytes) = BuildConfirmation(org, list, email, name, subscriptionId, requestAt, null);
        return new OutboxMessage("confirmation", messageId, SystemFromAddress(), email, bytes);
    }

    private (string MessageId, byte[] Bytes) BuildConfirmation(OrganisationRow org, ListRow list, string email, string name, long subscriptionId, long requestAt, string? messageId)
    {
        var t = PublicText.For(list.Language);
        var confirmUrl = links.Confirm(org.Id, subscriptionId, requestAt, TimeSpan.FromDays(_options.PublicForm.ConfirmationValidDays));
        var noticeUrl = links.Notice(org.Slug);
        var intro = string.Format(t.ConfirmIntro, list.Name, org.Name);
        var text = $"{intro}\n\n{confirmUrl}\n\n{t.ConfirmIgnore}\n\n{t.PrivacyNotice}: {noticeUrl}\n-- \n{org.Name}\n";
        var html = $"""
            <!DOCTYPE html><html lang="{t.Lang}"><body style="font-family:sans-serif;max-width:36em">
            <p>{WebUtility.HtmlEncode(intro)}</p>
            <p><a href="{WebUtility.HtmlEncode(confirmUrl)}" style="display:inline-block;padding:.6em 1.2em;background:#1f5f8b;color:#fff;text-decoration:none;border-radius:4px">{WebUtility.HtmlEncode(t.ConfirmButton)}</a></p>
            <p style="font-size:small">{WebUtility.HtmlEncode(confirmUrl)}</p>
            <p>{WebUtility.HtmlEncode(t.ConfirmIgnore)}</p>
            <p style="font-size:small;color:#555">{WebUtility.HtmlEncode(org.Name)} &middot; <a href="{WebUtility.HtmlEncode(noticeUrl)}">{WebUtility.HtmlEncode(t.PrivacyNotice)}</a></p>
            </body></html>
            """;
        var from = SystemFromAddress();
        return MailComposer.Write(new MailSpec
        {
            FromName = org.Name,
            FromAddress = from,
            To = email,
            ToName = name,
            Subject = string.Format(t.ConfirmSubject, list.Name),
            Text = text,
            Html = html,
            Language = list.Language,
            UnsubscribeUrl = links.Unsubscribe(org.Id, subscriptionId),
            UnsubscribeMailto = UnsubscribeMailto(org.Id, subscriptionId),
            MessageIdDomain = links.MailDomain,
            MessageId = messageId,
        });
    }

    /// <summary>A plain notice to an organisation's owners (import held, approved or rejected), queued in the outbox.</summary>
    public async Task NotifyOwnersAsync(long orgId, string subject, string text, CancellationToken ct)
    {
        var store = For(orgId);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var owner in (await store.ListPeopleAsync(ct)).Where(p => p.Role == Domain.Roles.Owner && p.DisabledAt is null))
        {
            var (messageId, bytes) = MailComposer.Write(new MailSpec
            {
                FromName = "Lupa",
                FromAddress = SystemFromAddress(),
                To = owner.Email,
                ToName = owner.Name,
                Subject = subject,
                Text = text,
                MessageIdDomain = links.MailDomain,
            });
            await store.EnqueueAsync(new OutboxMessage("notice", messageId, SystemFromAddress(), owner.Email, bytes), now, ct);
        }
        outboxSignal.Notify();
    }

    /// <summary>The envelope and From address of system mail.</summary>
    public string SystemFromAddress() => _options.Mail.FromAddress is { Length: > 0 } a ? a : "no-reply@" + links.MailDomain;

    /// <summary>The mailto unsubscribe of a subscription: the signed token travels in the subject.</summary>
    public string UnsubscribeMailto(long orgId, long subscriptionId)
    {
        var mailbox = _options.Mail.UnsubscribeAddress is { Length: > 0 } a ? a : "unsubscribe@" + links.MailDomain;
        return $"mailto:{mailbox}?subject=unsubscribe%20{tokens.Create(LinkPurpose.Unsubscribe, orgId, subscriptionId)}";
    }

    /// <summary>Adds a subscriber through the API: confirmed with the caller's evidence, else pending with a confirmation mail.</summary>
    public async Task<SubscriptionRequestResult> AddAsync(OrganisationRow org, ListRow list, EmailAddress email, string name, ConsentEvidence? evidence, string actor, CancellationToken ct)
    {
        if (evidence is null)
            return await RequestAsync(org, list, email, name, null, null, "api:" + actor, ct, fromForm: false);
        var store = For(org.Id);
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await store.AddConfirmedAsync(email.Value, name, list.Language, list.Id, new NewConsentRecord
        {
            Kind = ConsentKinds.Grant,
            Method = evidence.Method,
            OccurredAt = evidence.GivenAt.ToUnixTimeMilliseconds(),
            Ip = evidence.Ip,
            Source = evidence.Source,
            WordingVersion = evidence.Text is null ? list.WordingVersion : null,
            WordingText = evidence.Text ?? list.WordingText,
            WordingHash = ConsentWording.Hash(evidence.Text ?? list.WordingText),
            PrivacyNoticeVersion = notice?.Version,
            Actor = actor,
        }, now, ct);
    }

    /// <summary>Opens a confirmation link.</summary>
    public async Task<(LinkProblem Problem, ConfirmOutcome Outcome, long OrgId, long SubscriptionId)> ConfirmAsync(string token, string? ip, string? userAgent, CancellationToken ct)
    {
        var problem = tokens.Read(token, LinkPurpose.Confirm, out var claims);
        if (problem != LinkProblem.None)
            return (problem, ConfirmOutcome.NotFound, 0, 0);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var outcome = await For(claims.OrgId).ConfirmAsync(claims.Id, claims.Stamp, now, ip, Truncate(userAgent, 512), ct);
        return (LinkProblem.None, outcome, claims.OrgId, claims.Id);
    }

    /// <summary>
    /// Unsubscribes the holder of an unsubscribe link. Returns the link problem, the org, whether a
    /// subscription ended, and for a campaign's link the campaign, whose unsubscribe count it raised.
    /// </summary>
    public async Task<(LinkProblem Problem, long OrgId, bool Changed, long? CampaignId)> UnsubscribeAsync(string token, string method, string? ip, string? userAgent, CancellationToken ct)
    {
        var (problem, orgId, subscriptionIds, campaignId) = await ReadLinkAsync(token, ct);
        if (problem != LinkProblem.None)
            return (problem, 0, false, null);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = false;
        foreach (var id in subscriptionIds)
            changed |= await For(orgId).UnsubscribeAsync(id, method, ip, Truncate(userAgent, 512), null, now, ct);
        if (changed && campaignId is { } campaign)
        {
            // The acceptable use policy counts a campaign's unsubscribes (a spike says the mail was not
            // wanted), and the campaign's report counts them by hour (a number, no person).
            await new CampaignStore(db, orgId).AddUnsubscribeAsync(campaign, ct);
            tracking.Add(new Lupa.Tracking.TrackingHit(Lupa.Domain.Tracking.TrackingKind.Unsubscribe, campaign, 0, 0, 0, false, now));
        }
        return (LinkProblem.None, orgId, changed, changed ? campaignId : null);
    }

    /// <summary>
    /// The subscriptions an unsubscribe link ends: the one of a confirmation or system mail, or every
    /// subscription on the lists a campaign went to.
    /// </summary>
    public async Task<(LinkProblem Problem, long OrgId, IReadOnlyList<long> SubscriptionIds)> ReadUnsubscribeAsync(string token, CancellationToken ct)
    {
        var (problem, orgId, ids, _) = await ReadLinkAsync(token, ct);
        return (problem, orgId, ids);
    }

    private async Task<(LinkProblem Problem, long OrgId, IReadOnlyList<long> SubscriptionIds, long? CampaignId)> ReadLinkAsync(string token, CancellationToken ct)
    {
        if (tokens.Read(token, LinkPurpose.Unsubscribe, out var claims) == LinkProblem.None)
            return (LinkProblem.None, claims.OrgId, [claims.Id], null);
        var problem = tokens.Read(token, LinkPurpose.UnsubscribeCampaign, out claims);
        if (problem != LinkProblem.None)
            return (problem, 0, [], null);
        var campaign = await new CampaignStore(db, claims.OrgId).GetAsync(claims.Stamp, ct);
        var lists = campaign?.ListIdArray() ?? [];
        var subscriptions = await For(claims.OrgId).ListSubscriptionsAsync(claims.Id, ct);
        var ids = subscriptions.Where(s => lists.Contains(s.ListId)).Select(s => s.Id).ToList();
        return ids.Count == 0 ? (LinkProblem.Forged, 0, [], null) : (LinkProblem.None, claims.OrgId, ids, campaign!.Id);
    }

    /// <summary>Reads an unsubscribe or preferences link without acting on it.</summary>
    public LinkProblem Read(string token, LinkPurpose purpose, out LinkClaims claims) => tokens.Read(token, purpose, out claims);

    /// <summary>Re-subscribes from the preference centre: the link proves the mailbox, so this is a grant at once.</summary>
    public async Task ResubscribeAsync(long orgId, long subscriberId, ListRow list, string? ip, string? userAgent, CancellationToken ct)
    {
        var store = For(orgId);
        var subscriber = await store.GetSubscriberAsync(subscriberId, ct) ?? throw new InvalidOperationException("no such subscriber");
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await store.AddConfirmedAsync(subscriber.Email, subscriber.Name, subscriber.Language, list.Id, new NewConsentRecord
        {
            Kind = ConsentKinds.Grant,
            Method = ConsentMethods.PreferenceCentre,
            OccurredAt = now,
            Ip = ip,
            UserAgent = Truncate(userAgent, 512),
            Source = links.Preferences(orgId, subscriberId).Split("/p/")[0] + "/p/",
            WordingVersion = list.WordingVersion,
            WordingText = list.WordingText,
            WordingHash = list.WordingHash,
            PrivacyNoticeVersion = notice?.Version,
        }, now, ct, selfService: true);
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
