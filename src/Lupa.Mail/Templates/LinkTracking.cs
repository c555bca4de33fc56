using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Lupa.Mail.Templates;

/// <summary>A link of a campaign that goes through the click redirect.</summary>
/// <param name="Id">A number the same URL always gets (from its hash), so the report's per-link counts never shift.</param>
/// <param name="Url">Where the link goes.</param>
public sealed record TrackedLink(int Id, string Url)
{
    /// <summary>The id of a URL: 31 bits of its SHA-256, never 0.</summary>
    public static int IdOf(string url)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(url), hash);
        var id = (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash) & 0x7fffffff);
        return id == 0 ? 1 : id;
    }
}

/// <summary>
/// One recipient's tracking, when their message is tracked: the click URL of each link and the open pixel's URL.
/// Both must be safe to write into an HTML attribute as they are.
/// </summary>
public abstract class RecipientTracking
{
    /// <summary>The URL that records a click and redirects to <paramref name="link"/>.</summary>
    public abstract string ClickUrl(TrackedLink link);

    /// <summary>The URL of the open pixel.</summary>
    public abstract string OpenPixelUrl { get; }
}

/// <summary>
/// Rewrites a compiled campaign's HTML once, so that tracking costs a recipient only the slot values: every
/// <c>href</c> of an <c>a</c> element that is a plain http(s) URL becomes <c>{{ lupa_track.cN }}</c>, and the open
/// pixel's slot goes before <c>&lt;/body&gt;</c>. Left as written: links made with Liquid (the unsubscribe,
/// preferences and privacy links, and any personalised URL), mailto: and other schemes, anchors, and links marked
/// <c>data-lupa-notrack</c>. The plain text is not rewritten: there a reader sees the address, and should see where
/// it goes.
/// </summary>
internal static partial class LinkTracking
{
    /// <summary>The longest URL that is rewritten (it travels inside the click link).</summary>
    internal const int MaxUrlLength = 2000;

    /// <summary>The name the slots read their values from.</summary>
    internal const string Slot = "lupa_track";

    [GeneratedRegex("""<a\b(?:[^>"']|"[^"]*"|'[^']*')*>""", RegexOptions.IgnoreCase)]
    private static partial Regex AnchorTag();

    [GeneratedRegex("""\shref\s*=\s*(?:"(?<v>[^"]*)"|'(?<v>[^']*)'|(?<v>[^\s"'>]+))""", RegexOptions.IgnoreCase)]
    private static partial Regex Href();

    [GeneratedRegex(@"\sdata-lupa-notrack\b", RegexOptions.IgnoreCase)]
    private static partial Regex NoTrack();

    [GeneratedRegex("</body>", RegexOptions.IgnoreCase | RegexOptions.RightToLeft)]
    private static partial Regex BodyEnd();

    /// <summary>The HTML with slots, and the distinct links in the order they first appear.</summary>
    internal static (string Html, IReadOnlyList<TrackedLink> Links) Rewrite(string html)
    {
        var links = new List<TrackedLink>();
        var byUrl = new Dictionary<string, int>(StringComparer.Ordinal);
        var rewritten = AnchorTag().Replace(html, tag =>
        {
            if (NoTrack().IsMatch(tag.Value))
                return tag.Value;
            var href = Href().Match(tag.Value);
            if (!href.Success || Trackable(href.Groups["v"].Value) is not { } url)
                return tag.Value;
            if (!byUrl.TryGetValue(url, out var index))
            {
                index = links.Count;
                byUrl[url] = index;
                links.Add(new TrackedLink(TrackedLink.IdOf(url), url));
            }
            return string.Concat(tag.Value.AsSpan(0, href.Index), $" href=\"{{{{ {Slot}.c{index} }}}}\"", tag.Value.AsSpan(href.Index + href.Length));
        });
        var pixel = $"{{{{ {Slot}.open }}}}";
        var end = BodyEnd().Match(rewritten);
        rewritten = end.Success ? rewritten.Insert(end.Index, pixel) : rewritten + pixel;
        return (rewritten, links);
    }

    // The URL an href stands for, when it is one to track.
    private static string? Trackable(string attribute)
    {
        if (attribute.Contains("{{", StringComparison.Ordinal) || attribute.Contains("{%", StringComparison.Ordinal))
            return null;
        var url = System.Net.WebUtility.HtmlDecode(attribute).Trim();
        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return null;
        // The redirect's Location header takes ASCII only: a host in IDNA form, the rest percent-encoded.
        var ascii = $"{uri.Scheme}://{(uri.UserInfo.Length > 0 ? uri.UserInfo + "@" : "")}{uri.IdnHost}{(uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))}{uri.PathAndQuery}{uri.Fragment}";
        return ascii.Length <= MaxUrlLength && System.Text.Ascii.IsValid(ascii) ? ascii : null;
    }
}
