using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Mail.Dkim;
using Lupa.Mail.Templates;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Tracking;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Lupa.Campaigns;

/// <summary>One recipient as a campaign message needs them.</summary>
/// <param name="SubscriberId">The subscriber; 0 for a sample person or a transactional recipient who is none.</param>
/// <param name="Email">The address.</param>
/// <param name="Name">The name.</param>
/// <param name="Language">The language.</param>
/// <param name="AttributesJson">The attributes as a JSON object.</param>
/// <param name="ObjectedProfiling">The person objected to profiling: their message is never tracked.</param>
public sealed record CampaignRecipient(long SubscriberId, string Email, string Name, string Language, string AttributesJson, bool ObjectedProfiling = false);

/// <summary>
/// Everything about a campaign's mail that is the same for every recipient, prepared once: the
/// compiled template, the DKIM signer, the headers. Building one recipient's message is then a
/// render and a MIME assembly. Used alike by the preview, the test send, the check and the sender.
/// </summary>
public sealed class CampaignMail
{
    private readonly CampaignRow _campaign;
    private readonly CompiledCampaign _template;
    private readonly MessageSigner? _signer;
    private readonly PublicLinks _links;
    private readonly LinkTokens _tokens;
    private readonly byte[] _key;
    private readonly string _orgSlug;
    private readonly string _senderDomain;
    private readonly string _returnDomain;
    private readonly PersonalisedMessageWriter _writer;
    private readonly PersonalisedMessageWriter _transactionalWriter;
    private readonly TrackingLinks? _tracking;
    private readonly bool _individual;

    internal CampaignMail(CampaignRow campaign, CompiledCampaign template, MessageSigner? signer, PublicLinks links, LinkTokens tokens,
        byte[] key, string orgSlug, string listId, string? returnDomain, string unsubscribeMailto, TrackingLinks? tracking, bool individual)
    {
        _tracking = tracking;
        _individual = individual;
        _campaign = campaign;
        _template = template;
        _signer = signer;
        _links = links;
        _tokens = tokens;
        _key = key;
        _orgSlug = orgSlug;
        _senderDomain = Domain(campaign.FromAddress);
        _returnDomain = string.IsNullOrWhiteSpace(returnDomain) ? _senderDomain : returnDomain;
        _writer = new PersonalisedMessageWriter(campaign.FromName, campaign.FromAddress, campaign.ReplyTo, listId,
            $"{campaign.Id}:{campaign.OrgId}:campaign:lupa", unsubscribeMailto);
        _transactionalWriter = new PersonalisedMessageWriter(campaign.FromName, campaign.FromAddress, campaign.ReplyTo, null,
            $"0:{campaign.OrgId}:transactional:lupa", null);
    }

    /// <summary>The campaign.</summary>
    public CampaignRow Campaign => _campaign;

    /// <summary>The compiled template (for the compliance check's questions).</summary>
    public CompiledCampaign Template => _template;

    /// <summary>The links a tracked message sends through the click redirect; none when tracking is off.</summary>
    public IReadOnlyList<TrackedLink> TrackedLinks => _tracking is null ? [] : _template.TrackedLinks;

    /// <summary>Whether messages are DKIM-signed.</summary>
    public bool Signs => _signer is not null;

    /// <summary>The envelope sender (VERP) for a recipient.</summary>
    public string ReturnPathFor(long subscriberId) => ReturnPath.For(_key, _campaign.Id, subscriberId, _returnDomain);

    /// <summary>Renders subject, HTML and text for one recipient.</summary>
    public Outcome<RenderedMessage> Render(CampaignRecipient r) => _template.Render(Values(r));

    /// <summary>The finished (and signed) message for one recipient, or why it cannot be made.</summary>
    /// <remarks>
    /// A test send passes its own Message-ID: the stable one belongs to the real send. A transactional
    /// message gets a fresh Message-ID and no list headers: it is not marketing. Only the real send is
    /// <paramref name="tracked"/>, and even then not for a person who objected to profiling; previews and tests never
    /// are, so they cannot count in the report.
    /// </remarks>
    public Outcome<byte[]> Build(CampaignRecipient r, string? subjectPrefix = null, bool transactional = false, string? messageId = null, bool tracked = false)
    {
        var values = Values(r);
        if (tracked && _tracking is not null && !transactional && !r.ObjectedProfiling && r.SubscriberId > 0 && _campaign.Id > 0)
        {
            // Aggregate counting by default: the links name no one. With individual tracking they carry the recipient.
            values = values with
            {
                Tracking = new MessageTracking(_tracking, _campaign.Id, _individual ? r.SubscriberId : 0, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            };
        }
        var rendered = _template.Render(values);
        if (!rendered.IsOk)
            return Outcome<byte[]>.Fail(rendered.Code!, rendered.Reason!);
        var m = rendered.Value!;
        byte[] message;
        try
        {
            var writer = transactional ? _transactionalWriter : _writer;
            message = writer.Write(new PersonalisedParts
            {
                To = r.Email,
                ToName = r.Name,
                Subject = subjectPrefix + m.Subject,
                Text = m.Text,
                Html = m.Html,
                Language = r.Language,
                UnsubscribeUrl = transactional ? null : values.UnsubscribeUrl,
                MessageId = messageId ?? (transactional
                    ? MimeKit.Utils.MimeUtils.GenerateMessageId(_senderDomain)
                    : ReturnPath.MessageId(_key, _campaign.Id, r.SubscriberId, _senderDomain)),
            }, DateTimeOffset.UtcNow, _signer);
        }
        catch (ParseException e)
        {
            return Outcome<byte[]>.Fail("address", $"The message could not be addressed: {e.Message}");
        }
        return Outcome<byte[]>.Ok(message);
    }

    private RecipientValues Values(CampaignRecipient r) => new(
        r.Name,
        r.Email,
        r.Language,
        SubscriberAttributes.Parse(r.AttributesJson),
        r.SubscriberId > 0
            ? $"{_links.Base}/u/{_tokens.Create(LinkPurpose.UnsubscribeCampaign, _campaign.OrgId, r.SubscriberId, _campaign.Id)}"
            : $"{_links.Base}/u/test",
        r.SubscriberId > 0 ? _links.Preferences(_campaign.OrgId, r.SubscriberId) : $"{_links.Base}/p/test",
        _links.Notice(_orgSlug),
        _links.PrivacyRequests(_orgSlug, r.Language));

    /// <summary>The domain part of an address, lower-cased.</summary>
    public static string Domain(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].Trim().ToLowerInvariant();
    }
}

/// <summary>Prepares <see cref="CampaignMail"/> for a campaign.</summary>
public sealed class CampaignMailFactory(LupaDatabase db, PublicLinks links, LinkTokens tokens, TrackingLinks tracking, IOptions<LupaOptions> options)
{
    /// <summary>Compiles the campaign's template with the organisation's layout and loads its signing key.</summary>
    public async Task<Outcome<CampaignMail>> PrepareAsync(CampaignRow campaign, CancellationToken ct)
    {
        var store = new CampaignStore(db, campaign.OrgId);
        var layout = await store.GetLayoutAsync(ct);
        var lists = new OrganisationStore(db, campaign.OrgId);
        var listIds = campaign.ListIdArray();
        var first = listIds.Length > 0 ? await lists.GetListAsync(listIds[0], ct) : null;
        var language = first?.Language ?? "en";
        var compiled = CampaignTemplate.Compile(
            new CampaignContent(campaign.Name, campaign.Subject, campaign.Preheader, campaign.Body, campaign.BodyFormat),
            new OrganisationLayout(layout.Name, layout.PostalAddress, language, layout.BrandColour, layout.CustomLayout));
        if (!compiled.IsOk)
            return Outcome<CampaignMail>.Fail(compiled.Code!, compiled.Reason!);
        MessageSigner? signer = null;
        var o = options.Value;
        if (o.Campaigns.DkimSigning)
        {
            var domain = CampaignMail.Domain(campaign.FromAddress);
            var key = (await store.ListSenderDomainsAsync(ct)).FirstOrDefault(d => d.Domain == domain);
            if (key is not null && DkimKey.TryFromPem(key.Algorithm, key.PrivateKey, out var dkim, out _))
                signer = new MessageSigner(key.Domain, key.Selector, dkim);
        }
        var listId = $"\"{MailComposer.OneLine(first?.Name ?? campaign.Name).Replace("\"", "'", StringComparison.Ordinal)}\" <{first?.Slug ?? "campaign"}.{layout.Slug}.{links.MailDomain}>";
        var mailto = "mailto:" + (o.Mail.UnsubscribeAddress ?? $"unsubscribe@{links.MailDomain}");
        var individual = o.Tracking.Enabled && await new TrackingStore(db, campaign.OrgId).IndividualTrackingAsync(ct);
        return Outcome<CampaignMail>.Ok(new CampaignMail(campaign, compiled.Value!, signer, links, tokens, db.SuppressionKey, layout.Slug, listId,
            o.Campaigns.ReturnPathDomain, mailto, o.Tracking.Enabled ? tracking : null, individual));
    }
}
