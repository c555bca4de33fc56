using System.Text;
using System.Text.RegularExpressions;
using Lupa.Admin;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;
using MimeKit;

namespace Lupa.Pages.Admin;

/// <summary>
/// /admin/mail-catcher/{id}: one caught message, parsed with MimeKit. The HTML body is shown in a
/// sandboxed iframe, the text body as text with its links listed, and the raw source as text.
/// </summary>
public sealed partial class MailMessageModel(SystemStore system, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>The stored message.</summary>
    public CaughtMessageRow Message { get; private set; } = null!;

    /// <summary>Every header field in order.</summary>
    public IReadOnlyList<(string Field, string Value)> Headers { get; private set; } = [];

    /// <summary>The text/plain body, or null.</summary>
    public string? TextBody { get; private set; }

    /// <summary>The text/html body, or null.</summary>
    public string? HtmlBody { get; private set; }

    /// <summary>The HTML body with a content security policy in front, for the iframe's srcdoc.</summary>
    public string SandboxedHtml => AdminText.Sandboxed(HtmlBody ?? "");

    /// <summary>Every http(s) URL in the text body (or the HTML body when there is no text), in order, once each.</summary>
    public IReadOnlyList<string> Links { get; private set; } = [];

    /// <summary>The raw message as text.</summary>
    public string Raw { get; private set; } = "";

    /// <summary>Why MimeKit could not parse it, or null.</summary>
    public string? ParseError { get; private set; }

    /// <summary>Shows the message.</summary>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var message = await SystemData.GetCaughtMessageAsync(id, IsOperator ? null : Person.OrgId, ct);
        if (message is null)
            return NotFoundPage("message");
        Message = message;
        await AuditAsync(Person.OrgId, Lupa.Domain.Privacy.AuditActions.CaughtMailView, "caught_message:" + id, null, ct);
        Raw = Encoding.UTF8.GetString(message.Mime);
        try
        {
            using var stream = new MemoryStream(message.Mime, writable: false);
            var mime = await MimeMessage.LoadAsync(stream, ct);
            Headers = mime.Headers.Select(h => (h.Field, h.Value)).ToList();
            TextBody = mime.TextBody;
            HtmlBody = mime.HtmlBody;
        }
        catch (FormatException e)
        {
            ParseError = e.Message;
        }
        Links = FindLinks(TextBody ?? HtmlBody ?? "");
        return Page();
    }

    /// <summary>The http(s) URLs in a text, without trailing punctuation, each once.</summary>
    public static IReadOnlyList<string> FindLinks(string text)
    {
        var links = new List<string>();
        foreach (Match match in UrlPattern().Matches(text))
        {
            var url = match.Value.TrimEnd('.', ',', ';', ':', '!', '?', ')', ']', '\'', '"');
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && !links.Contains(url))
                links.Add(url);
        }
        return links;
    }

    [GeneratedRegex("""https?://[^\s<>"'`]+""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();
}
