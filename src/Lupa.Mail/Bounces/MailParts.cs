using MimeKit;

namespace Lupa.Mail.Bounces;

/// <summary>
/// The parts of a report that matter, found in one walk: the machine-readable report (delivery status
/// or feedback report), the returned original (<c>message/rfc822</c> or <c>text/rfc822-headers</c>),
/// and the first plain and HTML text. The walk does not enter the returned original, so its own text
/// is never read as the report's.
/// </summary>
internal sealed class MailParts
{
    private static readonly ParserOptions Options = new() { CharsetEncoding = System.Text.Encoding.UTF8 };

    public MessageDeliveryStatus? DeliveryStatus { get; private set; }

    public MessageFeedbackReport? FeedbackReport { get; private set; }

    public MessagePart? Original { get; private set; }

    public string? Text { get; private set; }

    public string? Html { get; private set; }

    /// <summary>Parses raw bytes.</summary>
    public static MimeMessage Load(byte[] mime)
    {
        using var stream = new MemoryStream(mime, writable: false);
        return MimeMessage.Load(Options, stream);
    }

    /// <summary>Walks a parsed message.</summary>
    public static MailParts Of(MimeMessage message)
    {
        var parts = new MailParts();
        if (message.Body is not null)
            parts.Walk(message.Body, 0);
        return parts;
    }

    private void Walk(MimeEntity entity, int depth)
    {
        switch (entity)
        {
            case Multipart multipart when depth < 8:
                foreach (var child in multipart)
                    Walk(child, depth + 1);
                break;
            case MessageDeliveryStatus status:
                DeliveryStatus ??= status;
                break;
            case MessageFeedbackReport report:
                FeedbackReport ??= report;
                break;
            case MessagePart message:
                Original ??= message;
                break;
            case TextPart text when !text.IsAttachment || Text is null:
                if (text.IsHtml)
                    Html ??= Read(text);
                else if (text.IsPlain)
                    Text ??= Read(text);
                break;
        }
    }

    private static string? Read(TextPart text)
    {
        try
        {
            return text.Text;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or FormatException)
        {
            return null;
        }
    }
}
