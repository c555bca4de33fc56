using System.Text;
using System.Text.RegularExpressions;
using Lupa.Domain;

namespace Lupa.Mail.Templates;

/// <summary>
/// The built-in layout, the footer every message carries, and the hidden preheader. The organisation's name
/// and address reach the templates as values (<c>organisation.*</c>), never as template text, so Liquid
/// characters in them cannot change what a template does.
/// </summary>
internal static partial class EmailLayout
{
    /// <summary>The accent colour when the organisation has chosen none.</summary>
    internal const string DefaultBrandColour = "#2563eb";

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    internal static partial Regex BrandColour();

    [GeneratedRegex(@"\{\{-?\s*content\s*-?\}\}")]
    internal static partial Regex ContentSlot();

    [GeneratedRegex(@"\{\{-?\s*footer\s*-?\}\}")]
    internal static partial Regex FooterSlot();

    [GeneratedRegex(@"<body\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BodyStart();

    private sealed record Wording(string Why, string Unsubscribe, string Preferences, string PrivacyNotice, string DataRights);

    private static readonly Wording English = new(
        "You receive this email because you subscribed to news from {{ organisation.name }}.",
        "Unsubscribe",
        "Email preferences",
        "Privacy notice",
        "Your data rights");

    private static readonly Wording Finnish = new(
        "Saat tämän viestin, koska olet tilannut uutiskirjeen lähettäjältä {{ organisation.name }}.",
        "Peru tilaus",
        "Tilausasetukset",
        "Tietosuojaseloste",
        "Tietosuojaoikeutesi");

    private static Wording For(string language) => language == Languages.Finnish ? Finnish : English;

    /// <summary>
    /// The built-in layout: a centred 600-pixel card, full width on narrow screens, styled by a style block that
    /// is inlined at compile time. Widths stay in the width attributes, not the CSS: PreMailer would copy a CSS
    /// width into the attribute as "600px", which Outlook misreads.
    /// </summary>
    internal static string BuiltIn(string language, string brandColour) => $$$"""
        <!DOCTYPE html>
        <html lang="{{{language}}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="x-apple-disable-message-reformatting">
        <title>{{ organisation.name }}</title>
        <style>
        body { margin: 0; padding: 0; background-color: #f3f4f6; }
        table { border-collapse: collapse; }
        .lupa-outer { background-color: #f3f4f6; }
        .lupa-frame { padding: 24px 12px; }
        .lupa-card { max-width: 600px; background-color: #ffffff; }
        .lupa-accent { height: 4px; background-color: {{{brandColour}}}; font-size: 0; line-height: 0; }
        .lupa-content { padding: 32px; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.6; color: #1f2937; }
        .lupa-content p { margin: 0 0 16px 0; }
        .lupa-content h1 { margin: 0 0 16px 0; font-size: 26px; line-height: 1.3; color: #111827; }
        .lupa-content h2 { margin: 24px 0 12px 0; font-size: 21px; line-height: 1.3; color: #111827; }
        .lupa-content h3 { margin: 20px 0 8px 0; font-size: 17px; line-height: 1.3; color: #111827; }
        .lupa-content a { color: {{{brandColour}}}; }
        .lupa-content img { max-width: 100%; height: auto; }
        .lupa-content blockquote { margin: 0 0 16px 0; padding: 0 0 0 16px; border-left: 4px solid #e5e7eb; color: #4b5563; }
        .lupa-content th, .lupa-content td { padding: 6px 10px; border: 1px solid #e5e7eb; text-align: left; }
        .lupa-footer { max-width: 600px; }
        .lupa-footer td { padding: 20px 32px; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 12px; line-height: 1.5; color: #6b7280; text-align: center; }
        .lupa-footer p { margin: 0 0 8px 0; }
        .lupa-footer a { color: #6b7280; text-decoration: underline; }
        @media only screen and (max-width: 620px) {
          .lupa-card, .lupa-footer { width: 100% !important; }
          .lupa-content { padding: 20px !important; }
          .lupa-footer td { padding: 16px 20px !important; }
        }
        </style>
        </head>
        <body>
        <table role="presentation" class="lupa-outer" width="100%" cellpadding="0" cellspacing="0" border="0">
        <tr><td class="lupa-frame" align="center">
        <table role="presentation" class="lupa-card" width="600" cellpadding="0" cellspacing="0" border="0">
        <tr><td class="lupa-accent">&nbsp;</td></tr>
        <tr><td class="lupa-content">
        {{ content }}
        </td></tr>
        </table>
        <table role="presentation" class="lupa-footer" width="600" cellpadding="0" cellspacing="0" border="0">
        <tr><td>
        {{ footer }}
        </td></tr>
        </table>
        </td></tr>
        </table>
        </body>
        </html>
        """;

    /// <summary>The footer in HTML: why the mail came, the four links, the organisation and its address.</summary>
    internal static string HtmlFooter(string language)
    {
        var w = For(language);
        return $$$"""
            <p class="lupa-why">{{{w.Why}}}</p>
            <p class="lupa-links"><a href="{{ unsubscribe_url }}">{{{w.Unsubscribe}}}</a> &middot; <a href="{{ preferences_url }}">{{{w.Preferences}}}</a> &middot; <a href="{{ privacy_notice_url }}">{{{w.PrivacyNotice}}}</a> &middot; <a href="{{ privacy_requests_url }}">{{{w.DataRights}}}</a></p>
            <p class="lupa-address">{{ organisation.name }}{% for line in organisation.postal_address_lines %}<br>{{ line }}{% endfor %}</p>
            """;
    }

    /// <summary>The footer in plain text, with the same links and the address.</summary>
    internal static string TextFooter(string language)
    {
        var w = For(language);
        // "-- " on its own line is the signature separator; mail programs show what follows as a signature.
        return "-- \n" + $$$"""
            {{{w.Why}}}

            {{{w.Unsubscribe}}}: {{ unsubscribe_url }}
            {{{w.Preferences}}}: {{ preferences_url }}
            {{{w.PrivacyNotice}}}: {{ privacy_notice_url }}
            {{{w.DataRights}}}: {{ privacy_requests_url }}

            {{ organisation.name }}
            {{ organisation.postal_address }}
            """;
    }

    /// <summary>
    /// The hidden preview text as the first thing in the body of an inlined document. Its own words are
    /// HTML-encoded here; what its Liquid writes is encoded when rendered.
    /// </summary>
    internal static string WithPreheader(string document, string? preheader)
    {
        if (string.IsNullOrWhiteSpace(preheader))
            return document;
        var html = new StringBuilder("<div class=\"lupa-preheader\" style=\"display: none; max-height: 0; max-width: 0; overflow: hidden; opacity: 0; font-size: 1px; line-height: 1px; mso-hide: all\">");
        var plain = 0;
        foreach (Match liquid in LiquidPlaceholders.LiquidMarkup().Matches(preheader))
        {
            html.Append(LiquidSandbox.Html.Encode(preheader[plain..liquid.Index])).Append(liquid.Value);
            plain = liquid.Index + liquid.Length;
        }
        html.Append(LiquidSandbox.Html.Encode(preheader[plain..])).Append("</div>");
        var body = BodyStart().Match(document);
        return body.Success ? document.Insert(body.Index + body.Length, html.ToString()) : html + document;
    }
}
