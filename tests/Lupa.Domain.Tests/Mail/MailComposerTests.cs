using System.Text;
using Lupa.Mail;
using MimeKit;

namespace Lupa.Domain.Tests.Mail;

public sealed class MailComposerTests
{
    private static MailSpec Spec(string? html) => new()
    {
        FromName = "Äkäslompolon Uutiset",
        FromAddress = "no-reply@lupa.example",
        To = "paivi@example.fi",
        ToName = "Päivi Öhman",
        Subject = "Vahvista tilauksesi: Uutiskirje",
        Text = "Vahvista tilaus:\n\nhttps://lupa.example/c/" + new string('a', 120) + "\n-- \nÄkäslompolo\n",
        Html = html,
        Language = "fi",
        UnsubscribeUrl = "https://lupa.example/u/token",
        UnsubscribeMailto = "mailto:unsubscribe@lupa.example?subject=unsubscribe%20token",
        MessageIdDomain = "lupa.example",
    };

    [Theory]
    [InlineData("<p>Hei Päivi! <a href=\"https://lupa.example/c/long\">Vahvista</a></p>")]
    [InlineData(null)]
    public void A_written_system_mail_reads_back_with_its_headers_and_parts(string? html)
    {
        var (messageId, bytes) = MailComposer.Write(Spec(html));
        var text = Encoding.ASCII.GetString(bytes);
        Assert.True(bytes.All(b => b < 128), "the message is not 7-bit");
        Assert.Equal(text.Split('\n').Length - 1, text.Split("\r\n").Length - 1);

        var message = MimeMessage.Load(new MemoryStream(bytes));
        Assert.Equal(messageId, message.MessageId);
        Assert.EndsWith("@lupa.example", messageId);
        Assert.Equal("Äkäslompolon Uutiset", message.From.Mailboxes.Single().Name);
        Assert.Equal("Päivi Öhman", message.To.Mailboxes.Single().Name);
        Assert.Equal("Vahvista tilauksesi: Uutiskirje", message.Subject);
        Assert.Equal("fi", message.Headers["Content-Language"] ?? message.Body!.Headers["Content-Language"]);
        Assert.Equal("<https://lupa.example/u/token>, <mailto:unsubscribe@lupa.example?subject=unsubscribe%20token>", message.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        Assert.Equal(Spec(html).Text.TrimEnd(), message.TextBody!.ReplaceLineEndings("\n").TrimEnd());
        if (html is not null)
            Assert.Equal(html, message.HtmlBody!.ReplaceLineEndings("\n").TrimEnd());
        else
            Assert.Null(message.HtmlBody);
    }
}
