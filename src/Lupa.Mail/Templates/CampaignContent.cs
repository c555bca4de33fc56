namespace Lupa.Mail.Templates;

/// <summary>What the marketer wrote for one campaign: Liquid is allowed in the subject, the preheader and the body.</summary>
/// <param name="CampaignName">The campaign's name, available to the templates as <c>campaign.name</c>.</param>
/// <param name="Subject">The subject line (Liquid); line breaks in the rendered subject become spaces.</param>
/// <param name="Preheader">Optional preview text (Liquid), hidden at the top of the HTML body.</param>
/// <param name="Body">The body (Liquid) in <paramref name="BodyFormat"/>.</param>
/// <param name="BodyFormat">One of <see cref="BodyFormats"/>.</param>
public sealed record CampaignContent(string CampaignName, string Subject, string? Preheader, string Body, string BodyFormat);

/// <summary>The formats a campaign body can be written in.</summary>
public static class BodyFormats
{
    /// <summary>Markdown with pipe tables and autolinks; HTML inside it is kept.</summary>
    public const string Markdown = "markdown";

    /// <summary>An HTML fragment placed inside the layout.</summary>
    public const string Html = "html";

    /// <summary>True for a known format.</summary>
    public static bool IsKnown(string? format) => format is Markdown or Html;
}

/// <summary>How an organisation's campaigns look and what every footer says.</summary>
/// <param name="OrganisationName">Shown in the footer; <c>organisation.name</c> in templates.</param>
/// <param name="PostalAddress">The postal address, one line per line; shown in every footer.</param>
/// <param name="Language">"fi" or "en": the language of the footer wording.</param>
/// <param name="BrandColour">Optional accent colour as <c>#rrggbb</c>, used by the built-in layout.</param>
/// <param name="CustomHtml">
/// Optional layout HTML (Liquid) replacing the built-in one. It must contain <c>{{ content }}</c>, where the body
/// goes, and may contain <c>{{ footer }}</c> for the standard footer. Its CSS is inlined at compile time; rules
/// that cannot be inlined are dropped except media queries.
/// </param>
public sealed record OrganisationLayout(
    string OrganisationName,
    string PostalAddress,
    string Language,
    string? BrandColour = null,
    string? CustomHtml = null);
