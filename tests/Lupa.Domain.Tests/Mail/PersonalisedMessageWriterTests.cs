using System.Text;
using Lupa.Mail;
using Lupa.Mail.Dkim;
using MimeKit;

namespace Lupa.Domain.Tests.Mail;

public sealed class PersonalisedMessageWriterTests
{
    private static readonly PersonalisedMessageWriter Writer = new("Äkäslompolon Uutiset", "hello@news.acme.test", "support@acme.test",
        "\"News\" <news.acme.lupa.localhost>", "7:1:campaign:lupa", "mailto:unsubscribe@lupa.localhost");

    private static PersonalisedParts Parts(string text, string html, string name = "Päivi Öhman", string subject = "Hyvää joulua, Päivi — tarjous") => new()
    {
        To = "paivi@example.fi",
        ToName = name,
        Subject = subject,
        MessageId = "c7.s42.abcdef@news.acme.test",
        UnsubscribeUrl = "https://lupa.example/u/token",
        Language = "fi",
        Text = text,
        Html = html,
    };

    private static MimeMessage Load(byte[] wire) => MimeMessage.Load(new MemoryStream(wire));

    [Fact]
    public void A_written_message_reads_back_with_every_header_and_both_parts()
    {
        var html = "<p>Hei Päivi!</p>\n<p>" + new string('x', 2000) + "</p>";
        var message = Load(Writer.Write(Parts("Hei Päivi!\nTervetuloa.", html), DateTimeOffset.UnixEpoch));
        Assert.Equal("Hyvää joulua, Päivi — tarjous", message.Subject);
        Assert.Equal("Päivi Öhman", message.To.Mailboxes.Single().Name);
        Assert.Equal("Äkäslompolon Uutiset", message.From.Mailboxes.Single().Name);
        Assert.Equal("support@acme.test", message.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal("c7.s42.abcdef@news.acme.test", message.MessageId);
        Assert.Equal("<https://lupa.example/u/token>, <mailto:unsubscribe@lupa.localhost>", message.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        Assert.Equal("\"News\" <news.acme.lupa.localhost>", message.Headers[HeaderId.ListId]);
        Assert.Equal("7:1:campaign:lupa", message.Headers["Feedback-ID"]);
        Assert.IsType<MultipartAlternative>(message.Body);
        Assert.Equal("Hei Päivi!\nTervetuloa.", message.TextBody!.ReplaceLineEndings("\n").TrimEnd());
        Assert.Equal(html, message.HtmlBody!.ReplaceLineEndings("\n").TrimEnd());
    }

    [Fact]
    public void Every_line_on_the_wire_ends_with_crlf_and_is_short_enough()
    {
        var bytes = (Writer.Write(Parts("plain ascii text\nsecond line", "<p>ä</p>" + new string('y', 3000)), DateTimeOffset.UnixEpoch));
        var text = Encoding.ASCII.GetString(bytes);
        Assert.DoesNotContain("\r\r", text);
        Assert.Equal(text.Split('\n').Length - 1, text.Split("\r\n").Length - 1);
        Assert.All(text.Split("\r\n"), line => Assert.True(line.Length <= 998, $"a line of {line.Length}"));
        Assert.True(bytes.All(b => b < 128), "the message is not 7-bit");
    }

    [Fact]
    public void A_line_break_in_a_subject_or_name_cannot_add_a_header()
    {
        var bytes = (Writer.Write(Parts("x", "<p>x</p>", name: "Eve\r\nBcc: victim@example.com", subject: "Hi\r\nBcc: victim@example.com"), DateTimeOffset.UnixEpoch));
        var message = MimeMessage.Load(new MemoryStream(bytes));
        Assert.Empty(message.Bcc);
        Assert.Null(message.Headers[HeaderId.Bcc]);
    }

    [Theory]
    [InlineData(DkimKey.RsaSha256)]
    [InlineData(DkimKey.Ed25519Sha256)]
    public void A_written_message_signed_with_dkim_verifies_and_fails_once_altered(string algorithm)
    {
        var key = algorithm == DkimKey.RsaSha256 ? DkimKey.GenerateRsa() : DkimKey.GenerateEd25519();
        using var signer = new MessageSigner("news.acme.test", "lupa2026", key);
        var bytes = Writer.Write(Parts("Hei!\n", "<p>Hei Päivi, tässä uutiset.</p>\n" + string.Concat(Enumerable.Repeat("<p>lorem ipsum dolor</p>\n", 300))), DateTimeOffset.UtcNow, signer);
        var altered = (byte[])bytes.Clone();
        var at = Encoding.ASCII.GetString(altered).LastIndexOf("lorem", StringComparison.Ordinal);
        altered[at] = (byte)'L';
        Assert.Equal(["True", "False"], DkimSigningTests.Verify(key, bytes, altered));
    }

    [Fact]
    public void A_signature_over_the_written_bytes_covers_every_header_that_matters_and_survives_awkward_whitespace()
    {
        var key = DkimKey.GenerateRsa();
        using var signer = new MessageSigner("news.acme.test", "lupa2026", key);
        // Runs of spaces and tabs, spaces at line ends, empty lines at the end, a folded non-ASCII subject.
        var text = "Hei  Päivi,\t\tterve!   \n\n  sisennetty rivi\t\n\n\n\n";
        var html = "<p>Hei   Päivi</p>   \n<pre>\tsarake  1\tsarake 2  </pre>\n\n\n";
        var subject = string.Concat(Enumerable.Repeat("Hyvää joulua ja onnellista uutta vuotta, Päivi — ", 4));
        var bytes = Writer.Write(Parts(text, html, subject: subject), DateTimeOffset.UtcNow, signer);
        var message = Load(bytes);

        var field = message.Headers[HeaderId.DkimSignature] ?? "";
        Assert.Equal(
            "From:To:Subject:Date:Message-ID:List-Unsubscribe:List-Unsubscribe-Post:List-Id:Feedback-ID:MIME-Version:Content-Type",
            System.Text.RegularExpressions.Regex.Match(field, @"h=([^;]+);").Groups[1].Value);
        Assert.Contains("\r\nSubject: =?utf-8?", Encoding.ASCII.GetString(bytes));

        var otherUnsubscribe = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(bytes).Replace("/u/token", "/u/tokem", StringComparison.Ordinal));
        var otherListId = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(bytes).Replace("news.acme.lupa.localhost", "news.evil.lupa.localhost", StringComparison.Ordinal));
        Assert.Equal(["True", "False", "False"], DkimSigningTests.Verify(key, bytes, otherUnsubscribe, otherListId));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("\r\n\r\n", "")]
    [InlineData("a  b \t\r\n", "a b\r\n")]
    [InlineData(" \tx\r\n\r\ny", " x\r\n\r\ny\r\n")]
    [InlineData("x\r\n \r\n\t\r\n", "x\r\n")]
    [InlineData("x\ny\n", "x\r\ny\r\n")]
    public void The_relaxed_body_is_what_rfc_6376_says(string body, string canonical)
    {
        var bytes = Encoding.ASCII.GetBytes(body);
        var output = new byte[bytes.Length * 2 + 2];
        var n = RelaxedCanonicalization.CanonicalBody(bytes, output);
        Assert.Equal(canonical, Encoding.ASCII.GetString(output, 0, n));
    }

    [Theory]
    [InlineData("Subject:  Hello \r\n\t  world  ", "subject:Hello world\r\n")]
    [InlineData("List-Id : \"News\"\t<a.b>", "list-id:\"News\" <a.b>\r\n")]
    public void A_relaxed_header_is_what_rfc_6376_says(string field, string canonical)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        RelaxedCanonicalization.AppendHeader(Encoding.ASCII.GetBytes(field), output);
        Assert.Equal(canonical, Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
