using System.Buffers;
using System.Text;
using Lupa.Mail.Dkim;
using MimeKit;
using MimeKit.Utils;

namespace Lupa.Mail;

/// <summary>What differs between two recipients' messages of one send.</summary>
public sealed class PersonalisedParts
{
    /// <summary>Recipient address.</summary>
    public required string To { get; init; }

    /// <summary>Recipient display name.</summary>
    public string ToName { get; init; } = "";

    /// <summary>Subject line.</summary>
    public required string Subject { get; init; }

    /// <summary>Message-ID without angle brackets.</summary>
    public required string MessageId { get; init; }

    /// <summary>The https URL that unsubscribes in one click; with it the RFC 8058 headers are added.</summary>
    public string? UnsubscribeUrl { get; init; }

    /// <summary>Language of the content (Content-Language).</summary>
    public string? Language { get; init; }

    /// <summary>Plain-text body.</summary>
    public required string Text { get; init; }

    /// <summary>HTML body.</summary>
    public required string Html { get; init; }
}

/// <summary>
/// Writes the many messages of one send (a campaign) as bytes: the headers that are the same for
/// every recipient are encoded once, and each message is then a few headers and two encoded body parts,
/// handed to <see cref="SmtpSender"/> as they are. Building each message through MimeKit's object model
/// instead costs about three times as much CPU, which a send of thousands a second on two cores cannot spare.
/// </summary>
public sealed class PersonalisedMessageWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private readonly byte[] _fixedHeaders;
    private readonly byte[] _textPartHeaders;
    private readonly byte[] _htmlPartHeaders;
    private readonly byte[] _qpTextPartHeaders;
    private readonly byte[] _qpHtmlPartHeaders;
    private readonly byte[] _delimiter;
    private readonly byte[] _closeDelimiter;
    private readonly string? _unsubscribeMailto;

    /// <summary>Prepares the headers every message of the send shares.</summary>
    public PersonalisedMessageWriter(string fromName, string fromAddress, string? replyTo, string? listId, string? feedbackId, string? unsubscribeMailto)
    {
        var boundary = "=-lupa-" + Guid.NewGuid().ToString("N");
        var fixedHeaders = new List<Header>
        {
            new(HeaderId.From, new MailboxAddress(MailComposer.OneLine(fromName), fromAddress).ToString(FormatOptions.Default, true)),
        };
        if (!string.IsNullOrEmpty(replyTo))
            fixedHeaders.Add(new Header(HeaderId.ReplyTo, MailboxAddress.Parse(MailComposer.OneLine(replyTo)).ToString(FormatOptions.Default, true)));
        if (listId is not null)
            fixedHeaders.Add(new Header(Encoding.UTF8, HeaderId.ListId, MailComposer.OneLine(listId)));
        if (feedbackId is not null)
            fixedHeaders.Add(new Header("Feedback-ID", MailComposer.OneLine(feedbackId)));
        fixedHeaders.Add(new Header(HeaderId.MimeVersion, "1.0"));
        fixedHeaders.Add(new Header(HeaderId.ContentType, $"multipart/alternative; boundary=\"{boundary}\""));
        _fixedHeaders = Raw(fixedHeaders);
        _textPartHeaders = Encoding.ASCII.GetBytes("Content-Type: text/plain; charset=utf-8\r\n\r\n");
        _htmlPartHeaders = Encoding.ASCII.GetBytes("Content-Type: text/html; charset=utf-8\r\n\r\n");
        _qpTextPartHeaders = Encoding.ASCII.GetBytes("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        _qpHtmlPartHeaders = Encoding.ASCII.GetBytes("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        _delimiter = Encoding.ASCII.GetBytes($"--{boundary}\r\n");
        _closeDelimiter = Encoding.ASCII.GetBytes($"--{boundary}--\r\n");
        _unsubscribeMailto = unsubscribeMailto;
    }

    /// <summary>
    /// Writes one recipient's message, DKIM-signed when a signer is given, as the bytes that go over SMTP
    /// (CRLF line ends, 7-bit; the SMTP layer adds only the dot-stuffing).
    /// </summary>
    public byte[] Write(PersonalisedParts p, DateTimeOffset date, MessageSigner? signer = null)
    {
        var head = new ArrayBufferWriter<byte>(2048);
        WriteAddress(head, "To", p.ToName, p.To);
        if (IsPlain(p.Subject))
            Line(head, "Subject", p.Subject);
        else
            head.Write(Raw([new Header(Encoding.UTF8, HeaderId.Subject, MailComposer.OneLine(p.Subject))]));
        Line(head, "Date", DateUtils.FormatDate(date));
        Line(head, "Message-ID", "<" + p.MessageId + ">");
        if (p.Language is not null)
            Line(head, "Content-Language", p.Language);
        if (p.UnsubscribeUrl is not null)
        {
            var value = "<" + p.UnsubscribeUrl + ">";
            if (_unsubscribeMailto is not null)
                value += ", <" + _unsubscribeMailto + ">";
            Line(head, "List-Unsubscribe", value);
            Line(head, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        head.Write(_fixedHeaders);

        var body = new ArrayBufferWriter<byte>(p.Html.Length + p.Text.Length + 1024);
        body.Write(_delimiter);
        WritePart(body, p.Text, _textPartHeaders, _qpTextPartHeaders);
        body.Write(_delimiter);
        WritePart(body, p.Html, _htmlPartHeaders, _qpHtmlPartHeaders);
        body.Write(_closeDelimiter);

        if (signer is { SignsBytes: false })
        {
            // Keys the byte-level signer does not handle (ed25519) sign through MimeKit's object model.
            var message = MailComposer.FromBytes([.. head.WrittenSpan, .. Crlf, .. body.WrittenSpan]);
            signer.Sign(message);
            return MailComposer.ToBytes(message);
        }
        var field = signer is null ? [] : signer.SignatureField(head.WrittenSpan, body.WrittenSpan, date);
        var wire = new byte[field.Length + head.WrittenCount + Crlf.Length + body.WrittenCount];
        field.CopyTo(wire, 0);
        head.WrittenSpan.CopyTo(wire.AsSpan(field.Length));
        Crlf.CopyTo(wire.AsSpan(field.Length + head.WrittenCount));
        body.WrittenSpan.CopyTo(wire.AsSpan(field.Length + head.WrittenCount + Crlf.Length));
        return wire;
    }

    // Printable ASCII short enough for one header line is written as it is; anything else is left
    // to MimeKit's encoding and folding.
    private static bool IsPlain(string value) => value.Length <= 900 && Ascii.IsValid(value) && !value.AsSpan().ContainsAnyInRange('\0', '\u001f');

    private static void Line(ArrayBufferWriter<byte> output, string field, string value)
    {
        var plain = IsPlain(value) ? value : MailComposer.OneLine(value);
        if (!Ascii.IsValid(plain) || plain.Length > 900)
        {
            output.Write(Raw([new Header(Encoding.UTF8, field, plain)]));
            return;
        }
        output.Write(Encoding.ASCII.GetBytes(field));
        output.Write(": "u8);
        output.Write(Encoding.ASCII.GetBytes(plain));
        output.Write(Crlf);
    }

    private static void WriteAddress(ArrayBufferWriter<byte> output, string field, string name, string address)
    {
        name = MailComposer.OneLine(name);
        // A plain name of letters, digits and spaces needs no quoting and no encoding.
        if (IsPlain(address) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == ' '))
        {
            Line(output, field, name.Length == 0 ? address : $"{name} <{address}>");
            return;
        }
        output.Write(Raw([new Header(field, new MailboxAddress(name, address).ToString(FormatOptions.Default, true))]));
    }

    // ASCII text with short lines goes as it is (7bit); anything else as quoted-printable.
    private static void WritePart(ArrayBufferWriter<byte> output, string content, byte[] plainHeaders, byte[] qpHeaders)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (Ascii.IsValid(bytes) && MaxLineLength(bytes) <= 900 && bytes.AsSpan().IndexOfAny((byte)'\0', (byte)'\r') < 0)
        {
            output.Write(plainHeaders);
            WriteCrlf(output, bytes);
        }
        else
        {
            output.Write(qpHeaders);
            var n = QuotedPrintable.Encode(bytes, output.GetSpan(QuotedPrintable.MaxEncodedLength(bytes.Length)));
            output.Advance(n);
        }
        if (output.WrittenCount > 0 && output.WrittenSpan[^1] != (byte)'\n')
            output.Write(Crlf);
    }

    private static int MaxLineLength(ReadOnlySpan<byte> bytes)
    {
        var max = 0;
        while (true)
        {
            var i = bytes.IndexOf((byte)'\n');
            if (i < 0)
                return Math.Max(max, bytes.Length);
            max = Math.Max(max, i);
            bytes = bytes[(i + 1)..];
        }
    }

    // MimeKit's encoders and our templates end lines with LF; on the wire every line ends with CRLF.
    private static void WriteCrlf(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        var lines = new TextLines(text);
        while (lines.MoveNext())
        {
            output.Write(lines.Current);
            if (lines.Ended)
                output.Write(Crlf);
        }
    }

    private static byte[] Raw(IEnumerable<Header> headers)
    {
        var output = new ArrayBufferWriter<byte>(512);
        foreach (var h in headers)
        {
            output.Write(Encoding.ASCII.GetBytes(h.Field));
            output.Write(":"u8);
            WriteCrlf(output, h.RawValue);
        }
        return output.WrittenSpan.ToArray();
    }
}
