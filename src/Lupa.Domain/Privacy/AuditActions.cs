namespace Lupa.Domain.Privacy;

/// <summary>
/// What the audit trail records (GDPR Article 5(2), accountability): every view, export, change and deletion of
/// personal data by a person or an API key. Subjects are ids (<c>subscriber:12</c>), never addresses.
/// </summary>
public static class AuditActions
{
    /// <summary>A page or API answer listing subscribers (details: their ids).</summary>
    public const string SubscriberList = "subscriber.list";

    /// <summary>One subscriber's data was shown.</summary>
    public const string SubscriberView = "subscriber.view";

    /// <summary>One subscriber's consent history was shown.</summary>
    public const string SubscriberConsents = "subscriber.consents";

    /// <summary>A subscriber was added to lists by the API.</summary>
    public const string SubscriberAdd = "subscriber.add";

    /// <summary>A subscriber's name or language was rectified (API, preference centre or a fulfilled request), the fields named.</summary>
    public const string SubscriberRectify = "subscriber.rectify";

    /// <summary>A subscription was withdrawn by the API.</summary>
    public const string SubscriberUnsubscribe = "subscriber.unsubscribe";

    /// <summary>A campaign was rendered with a subscriber's data (preview).</summary>
    public const string CampaignPreview = "campaign.preview";

    /// <summary>A test send was rendered with a subscriber's data.</summary>
    public const string CampaignTest = "campaign.test";

    /// <summary>A campaign's recipients were listed.</summary>
    public const string CampaignRecipients = "campaign.recipients";

    /// <summary>Bounce and complaint events were listed (they name the addresses).</summary>
    public const string BounceList = "bounce.list";

    /// <summary>A bounce's raw report was shown.</summary>
    public const string BounceRaw = "bounce.raw";

    /// <summary>An import was started (personal data added or changed in bulk).</summary>
    public const string ImportCreate = "import.create";

    /// <summary>The operator approved or rejected a held import (details: the decision).</summary>
    public const string ImportReview = "import.review";

    /// <summary>A transactional message was queued to a person (details: its legal basis).</summary>
    public const string TransactionalSend = "transactional.send";

    /// <summary>An import's per-row report (with addresses) was downloaded.</summary>
    public const string ImportReport = "import.report";

    /// <summary>A list was exported.</summary>
    public const string Export = "export";

    /// <summary>The request register was listed (it shows addresses).</summary>
    public const string PrivacyRequestList = "privacy_request.list";

    /// <summary>One request was shown.</summary>
    public const string PrivacyRequestView = "privacy_request.view";

    /// <summary>The retention job ran for the organisation (details: what it removed).</summary>
    public const string RetentionRun = "retention.run";

    /// <summary>The retention policy was changed.</summary>
    public const string RetentionPolicy = "retention.policy";

    /// <summary>The fulfilment setting (automatic or after approval) was changed.</summary>
    public const string FulfilmentSetting = "settings.fulfilment";

    /// <summary>A message in the mail catcher was opened.</summary>
    public const string CaughtMailView = "mail_catcher.view";
}
