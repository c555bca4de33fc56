using System.Text.RegularExpressions;
using Lupa.Mail;
using Lupa.Storage;
using MimeKit;

namespace Lupa.Tests;

public static partial class MailText
{
    public static MimeMessage Parse(CaughtMessageRow row) => MailComposer.FromBytes(row.Mime);

    /// <summary>The first link in the text body whose path starts with the prefix, e.g. "/c/".</summary>
    public static string Link(CaughtMessageRow row, string pathPrefix)
    {
        var text = Parse(row).TextBody ?? "";
        foreach (Match m in UrlPattern().Matches(text))
        {
            if (new Uri(m.Value).AbsolutePath.StartsWith(pathPrefix, StringComparison.Ordinal))
                return m.Value;
        }
        throw new Xunit.Sdk.XunitException($"No {pathPrefix} link in: {text}");
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex UrlPattern();
}
