using MimeKit;
using MimeKit.Text;

namespace Lupa.Mail;

/// <summary>What one outgoing message says and to whom.</summary>
public sealed class MailSpec
{
    /// <summary>Display name of the sender.</summary>
    public string FromName { get; init; } = "";

    /// <summary>Sender address (the From header and the envelope sender).</summary>
    public required string FromAddress { get; init; }

    /// <summary>Recipient address.</summary>
    public required string To { get; init; }

    /// <summary>Recipient display name.</summary>
    public string ToName { get; init; } = "";

    /// <summary>Subject line.</summary>
    public required string Subject { get; init; }

    /// <summary>Plain-text body.</summary>
    public required string Text { get; init; }

    /// <summary>HTML body; null for text only.</summary>
    public string? Html { get; init; }

    /// <summary>Language of the content (Content-Language).</summary>
    public string? Language { get; init; }

    /// <summary>The https URL that unsubscribes in one click; with it the RFC 8058 headers are added.</summary>
    public string? UnsubscribeUrl { get; init; }

    /// <summary>The mailto form of the unsubscribe.</summary>
    public string? UnsubscribeMailto { get; init; }

    /// <summary>The Message-ID's domain part.</summary>
    public required string MessageIdDomain { get; init; }

    /// <summary>A Message-ID chosen beforehand (without angle brackets); otherwise one is generated.</summary>
    public string? MessageId { get; init; }
}

/// <summary>Builds MIME messages; values with line breaks can never add a header.</summary>
public static class MailComposer
{
    /// <summary>
    /// Writes the message as the bytes that go over SMTP, with its Message-ID (without angle brackets). A message
    /// with HTML goes through <see cref="PersonalisedMessageWriter"/>, which costs a fraction of MimeKit's object
    /// model: system mail such as the double opt-in confirmation is sent as fast as the form takes sign-ups.
    /// </summary>
    public static (string MessageId, byte[] Bytes) Write(MailSpec spec)
    {
        if (spec.Html is null)
        {
            var message = Compose(spec);
            return (message.MessageId!, ToBytes(message));
        }
        var messageId = spec.MessageId ?? MimeKit.Utils.MimeUtils.GenerateMessageId(spec.MessageIdDomain);
        var writer = new PersonalisedMessageWriter(spec.FromName, spec.FromAddress, null, null, null, spec.UnsubscribeMailto);
        var bytes = writer.Write(new PersonalisedParts
        {
            To = spec.To,
            ToName = spec.ToName,
            Subject = spec.Subject,
            MessageId = messageId,
            UnsubscribeUrl = spec.UnsubscribeUrl,
            Language = spec.Language,
            Text = spec.Text,
            Html = spec.Html,
        }, DateTimeOffset.UtcNow);
        return (messageId, bytes);
    }

    /// <summary>Builds the message. Returns it with its Message-ID (without angle brackets).</summary>
    public static MimeMessage Compose(MailSpec spec)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(OneLine(spec.FromName), spec.FromAddress));
        message.To.Add(new MailboxAddress(OneLine(spec.ToName), spec.To));
        message.Subject = OneLine(spec.Subject);
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = spec.MessageId ?? MimeKit.Utils.MimeUtils.GenerateMessageId(spec.MessageIdDomain);
        if (spec.Language is not null)
            message.Headers.Add("Content-Language", OneLine(spec.Language));
        if (spec.UnsubscribeUrl is not null)
        {
            var value = "<" + OneLine(spec.UnsubscribeUrl) + ">";
            if (spec.UnsubscribeMailto is not null)
                value += ", <" + OneLine(spec.UnsubscribeMailto) + ">";
            message.Headers.Add(HeaderId.ListUnsubscribe, value);
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        var text = new TextPart(TextFormat.Plain) { Text = spec.Text };
        text.ContentType.Charset = "utf-8";
        if (spec.Html is null)
        {
            message.Body = text;
        }
        else
        {
            var html = new TextPart(TextFormat.Html) { Text = spec.Html };
            html.ContentType.Charset = "utf-8";
            message.Body = new MultipartAlternative { text, html };
        }
        message.Prepare(EncodingConstraint.SevenBit);
        return message;
    }

    private static readonly FormatOptions Wire = CreateWireFormat();

    private static FormatOptions CreateWireFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }

    /// <summary>The message as the bytes that go over SMTP (CRLF line ends; the SMTP layer adds only the dot-stuffing).</summary>
    public static byte[] ToBytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(Wire, stream);
        return stream.ToArray();
    }

    /// <summary>Reads stored bytes back into a message.</summary>
    public static MimeMessage FromBytes(byte[] mime)
    {
        using var stream = new MemoryStream(mime, writable: false);
        return MimeMessage.Load(stream);
    }

    /// <summary>Turns any line break or control character into a space.</summary>
    public static string OneLine(string value)
    {
        if (value.AsSpan().IndexOfAny("\r\n\t\0") < 0)
            return value;
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
                chars[i] = ' ';
        }
        return new string(chars);
    }
}
