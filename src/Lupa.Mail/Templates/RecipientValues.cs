namespace Lupa.Mail.Templates;

/// <summary>What differs per recipient when a campaign is rendered.</summary>
/// <param name="Name">The subscriber's name (<c>subscriber.name</c>); may be empty.</param>
/// <param name="Email">The subscriber's address (<c>subscriber.email</c>).</param>
/// <param name="Language">The subscriber's language (<c>subscriber.language</c>).</param>
/// <param name="Attributes">Free attributes (<c>subscriber.attributes.city</c>); a missing key renders empty.</param>
/// <param name="UnsubscribeUrl">This recipient's unsubscribe link (<c>unsubscribe_url</c>).</param>
/// <param name="PreferencesUrl">This recipient's preference centre link (<c>preferences_url</c>).</param>
/// <param name="PrivacyNoticeUrl">The privacy notice link (<c>privacy_notice_url</c>).</param>
/// <param name="PrivacyRequestsUrl">The page where the recipient asks for access, erasure and their other rights (<c>privacy_requests_url</c>).</param>
public sealed record RecipientValues(
    string Name,
    string Email,
    string Language,
    IReadOnlyDictionary<string, string> Attributes,
    string UnsubscribeUrl,
    string PreferencesUrl,
    string PrivacyNoticeUrl,
    string PrivacyRequestsUrl)
{
    /// <summary>The tracking of this recipient's message; null for an untracked message (no pixel, links as written).</summary>
    public RecipientTracking? Tracking { get; init; }
}

/// <summary>One recipient's message, ready for MIME.</summary>
/// <param name="Subject">The subject on one line.</param>
/// <param name="Html">The HTML body, values HTML-encoded.</param>
/// <param name="Text">The plain-text body.</param>
public sealed record RenderedMessage(string Subject, string Html, string Text);
