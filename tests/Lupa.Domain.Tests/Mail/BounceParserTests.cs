using System.Text;
using Lupa.Domain.Campaigns;
using Lupa.Mail.Bounces;
using MimeKit;

namespace Lupa.Domain.Tests.Mail;

public sealed class BounceParserTests
{
    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Mail", "bounce-corpus", name));

    [Theory]
    [InlineData("postfix-user-unknown.eml", "rfc3464", "5.1.1", "maija.virtanen@example.fi", "c42.s1007.0a1b2c3d4e@news.acme.test", "bounce+c42-s1007-0a1b2c3d4e@news.acme.test")]
    [InlineData("office365-recipient-not-found.eml", "rfc3464", "5.1.10", "tiina.lahtinen@contoso.test", "c42.s1014.aabbccddee@news.acme.test", "bounce+c42-s1014-aabbccddee@news.acme.test")]
    [InlineData("gmail-address-not-found.eml", "rfc3464", "5.1.1", "olli.example.nonexistent@gmail.com", "c42.s1015.3141592653@news.acme.test", "bounce+c42-s1015-3141592653@news.acme.test")]
    [InlineData("exim-user-unknown.eml", "exim", "5.0.0", "jussi.korhonen@hosting.test", "c42.s1008.5a5b5c5d5e@news.acme.test", "bounce+c42-s1008-5a5b5c5d5e@news.acme.test")]
    [InlineData("qmail-user-unknown.eml", "qmail", "5.1.1", "anna@oldhost.test", "c42.s1009.abcdef0123@news.acme.test", "bounce+c42-s1009-abcdef0123@news.acme.test")]
    [InlineData("qmail-remote-refused.eml", "qmail", "5.0.0", "ville@customer.test", "c42.s1013.0f0e0d0c0b@news.acme.test", "bounce+c42-s1013-0f0e0d0c0b@news.acme.test")]
    [InlineData("exchange-ndr.eml", "exchange", "5.1.1", "matti.nieminen@corp.test", "c42.s1010.7766554433@news.acme.test", "bounce+c42-s1010-7766554433@news.acme.test")]
    public void Hard_bounces_are_read_with_status_recipient_and_the_original_message(string file, string format, string status, string recipient, string messageId, string returnPath)
    {
        var report = DeliveryReportParser.Parse(Sample(file));
        Assert.Equal(DeliveryReportKind.Hard, report.Kind);
        Assert.Equal(format, report.Format);
        Assert.Equal(status, report.Status);
        Assert.Equal(recipient, report.Recipient);
        Assert.Equal(messageId, report.OriginalMessageId);
        Assert.Equal(returnPath, report.OriginalReturnPath);
        Assert.False(string.IsNullOrWhiteSpace(report.Diagnostic));
        Assert.DoesNotContain('\n', report.Diagnostic!);
    }

    [Fact]
    public void Diagnostics_keep_the_servers_words_in_one_line()
    {
        Assert.Equal("550 5.1.1 <maija.virtanen@example.fi>: Recipient address rejected: User unknown in virtual mailbox table",
            DeliveryReportParser.Parse(Sample("postfix-user-unknown.eml")).Diagnostic);
        // Gmail's multi-line reply loses its continuation codes.
        var gmail = DeliveryReportParser.Parse(Sample("gmail-address-not-found.eml")).Diagnostic!;
        Assert.StartsWith("550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking", gmail);
        Assert.DoesNotContain("550 5.1.1 https", gmail);
        Assert.Contains("SMTP error from remote mail server after RCPT TO:<jussi.korhonen@hosting.test>: 550 No such user here",
            DeliveryReportParser.Parse(Sample("exim-user-unknown.eml")).Diagnostic);
        Assert.Equal("Sorry, no mailbox here by that name. (#5.1.1)", DeliveryReportParser.Parse(Sample("qmail-user-unknown.eml")).Diagnostic);
    }

    [Fact]
    public void A_full_mailbox_is_a_soft_bounce()
    {
        var report = DeliveryReportParser.Parse(Sample("postfix-mailbox-full.eml"));
        Assert.Equal(DeliveryReportKind.Soft, report.Kind);
        Assert.Equal("4.2.2", report.Status);
        Assert.Equal("pekka@example.net", report.Recipient);
        Assert.Equal("c42.s1011.9f8e7d6c5b@news.acme.test", report.OriginalMessageId);
        Assert.Contains("Mailbox full", report.Diagnostic);
    }

    [Fact]
    public void A_delay_warning_is_not_a_bounce()
    {
        var report = DeliveryReportParser.Parse(Sample("postfix-delayed.eml"));
        Assert.Equal(DeliveryReportKind.Delayed, report.Kind);
        Assert.False(report.IsFailure);
        Assert.Equal("liisa@example.org", report.Recipient);
        Assert.Equal(InboundKind.Ignored, InboundReport.Read(Sample("postfix-delayed.eml")).Kind);
    }

    [Fact]
    public void An_out_of_office_reply_is_not_a_bounce()
    {
        var report = DeliveryReportParser.Parse(Sample("out-of-office.eml"));
        Assert.Equal(DeliveryReportKind.AutoReply, report.Kind);
        Assert.False(report.IsFailure);
        Assert.Equal(InboundKind.Ignored, InboundReport.Read(Sample("out-of-office.eml")).Kind);
    }

    [Fact]
    public void A_persons_reply_to_the_return_address_is_not_a_bounce()
    {
        var reply = "From: Kalle <kalle@example.org>\r\nTo: bounce+c42-s1-0123456789@news.acme.test\r\nSubject: Re: November news\r\n\r\nThe mailbox of my wife is full of your mail, user unknown to me.\r\n"u8.ToArray();
        Assert.Equal(DeliveryReportKind.NotABounce, DeliveryReportParser.Parse(reply).Kind);
    }

    [Fact]
    public void Gmail_style_text_is_read_without_the_machine_readable_part()
    {
        // The same notice with the delivery-status part taken away, as some forwarders leave it.
        var gmail = MimeMessage.Load(new MemoryStream(Sample("gmail-address-not-found.eml")));
        var text = ((MultipartAlternative)((MultipartRelated)((Multipart)gmail.Body!)[0])[0]).TextBody;
        var stripped = $"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: bounce+c42-s1015-3141592653@news.acme.test\r\nSubject: Delivery Status Notification (Failure)\r\nIn-Reply-To: <c42.s1015.3141592653@news.acme.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{text}";
        var report = DeliveryReportParser.Parse(Encoding.UTF8.GetBytes(stripped));
        Assert.Equal(DeliveryReportKind.Hard, report.Kind);
        Assert.Equal("gmail", report.Format);
        Assert.Equal("5.1.1", report.Status);
        Assert.Equal("olli.example.nonexistent@gmail.com", report.Recipient);
        Assert.Equal("c42.s1015.3141592653@news.acme.test", report.OriginalMessageId);
        Assert.StartsWith("550 5.1.1 The email account", report.Diagnostic);
    }

    [Fact]
    public void An_arf_abuse_report_is_a_complaint_naming_the_original_message()
    {
        var complaint = ComplaintParser.Parse(Sample("arf-abuse.eml"));
        Assert.NotNull(complaint);
        Assert.True(complaint.IsComplaint);
        Assert.Equal("abuse", complaint.FeedbackType);
        Assert.Equal("kaisa.makinen@mailbox-provider.test", complaint.OriginalRcptTo);
        Assert.Equal("bounce+c42-s1016-2718281828@news.acme.test", complaint.OriginalMailFrom);
        Assert.Equal("c42.s1016.2718281828@news.acme.test", complaint.OriginalMessageId);
        Assert.Equal("42:3:campaign:lupa", complaint.FeedbackId);
        Assert.Equal("ProviderFBL/2.1", complaint.UserAgent);
        Assert.Equal("198.51.100.8", complaint.SourceIp);

        var inbound = InboundReport.Read(Sample("arf-abuse.eml"));
        Assert.Equal(InboundKind.Complaint, inbound.Kind);
        Assert.Contains("c42.s1016.2718281828@news.acme.test", inbound.MessageIds);
        Assert.Contains("bounce+c42-s1016-2718281828@news.acme.test", inbound.ReturnPaths);
        // A DSN is not a complaint, and a complaint is not a bounce.
        Assert.Null(ComplaintParser.Parse(Sample("postfix-user-unknown.eml")));
        Assert.False(DeliveryReportParser.Parse(Sample("arf-abuse.eml")).IsFailure);
    }

    [Fact]
    public void A_dmarc_failure_report_is_a_feedback_report_but_no_complaint()
    {
        var arf = Encoding.UTF8.GetString(Sample("arf-abuse.eml")).Replace("Feedback-Type: abuse", "Feedback-Type: auth-failure", StringComparison.Ordinal);
        var report = InboundReport.Read(Encoding.UTF8.GetBytes(arf));
        Assert.Equal(InboundKind.Ignored, report.Kind);
        Assert.False(report.Complaint!.IsComplaint);
    }

    [Theory]
    [InlineData("postfix-user-unknown.eml", InboundKind.HardBounce)]
    [InlineData("postfix-mailbox-full.eml", InboundKind.SoftBounce)]
    [InlineData("exim-user-unknown.eml", InboundKind.HardBounce)]
    [InlineData("exchange-ndr.eml", InboundKind.HardBounce)]
    [InlineData("office365-recipient-not-found.eml", InboundKind.HardBounce)]
    [InlineData("gmail-address-not-found.eml", InboundKind.HardBounce)]
    [InlineData("qmail-user-unknown.eml", InboundKind.HardBounce)]
    [InlineData("qmail-remote-refused.eml", InboundKind.HardBounce)]
    [InlineData("arf-abuse.eml", InboundKind.Complaint)]
    [InlineData("out-of-office.eml", InboundKind.Ignored)]
    [InlineData("postfix-delayed.eml", InboundKind.Ignored)]
    public void Every_sample_in_the_corpus_is_classified(string file, InboundKind kind)
    {
        var report = InboundReport.Read(Sample(file));
        Assert.Equal(kind, report.Kind);
        if (kind is InboundKind.HardBounce or InboundKind.SoftBounce)
        {
            // Each names its campaign message twice: by the return address and by the Message-ID.
            Assert.Contains(report.ReturnPaths, p => p.StartsWith("bounce+c42-s", StringComparison.Ordinal));
            Assert.Contains(report.MessageIds, id => id.StartsWith("c42.s", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Every_file_in_the_corpus_has_a_test()
    {
        var tested = new[]
        {
            "postfix-user-unknown.eml", "postfix-mailbox-full.eml", "postfix-delayed.eml", "exim-user-unknown.eml", "exchange-ndr.eml",
            "office365-recipient-not-found.eml", "gmail-address-not-found.eml", "qmail-user-unknown.eml", "qmail-remote-refused.eml",
            "arf-abuse.eml", "out-of-office.eml",
        };
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Mail", "bounce-corpus"), "*.eml").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(tested.Order().ToArray(), files);
    }

    [Fact]
    public void Garbage_is_ignored_without_an_exception()
    {
        Assert.Equal(InboundKind.Ignored, InboundReport.Read([]).Kind);
        Assert.Equal(InboundKind.Ignored, InboundReport.Read("\0\0\0 not mail at all"u8.ToArray()).Kind);
        var broken = "From: MAILER-DAEMON@x.test\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nnonsense without colons\r\n--b--\r\n"u8.ToArray();
        Assert.NotEqual(InboundKind.HardBounce, InboundReport.Read(broken).Kind);
    }

    [Theory]
    [InlineData("550 5.1.1 no such user", BounceSeverity.Hard, "5.1.1")]
    [InlineData("550 Requested action not taken: mailbox unavailable", BounceSeverity.Hard, "5.0.0")]
    [InlineData("552 5.2.2 Mailbox full", BounceSeverity.Soft, "5.2.2")]
    [InlineData("550 Mailbox full", BounceSeverity.Soft, "5.0.0")]
    [InlineData("554 5.7.1 Message rejected as spam by Content Filtering", BounceSeverity.Soft, "5.7.1")]
    [InlineData("550 5.7.1 Recipient address rejected: user does not exist", BounceSeverity.Hard, "5.7.1")]
    [InlineData("552 5.3.4 Message size exceeds fixed limit", BounceSeverity.Soft, "5.3.4")]
    [InlineData("550-5.1.1 The email account that you tried to reach does not exist", BounceSeverity.Hard, "5.1.1")]
    public void Refusals_during_the_send_are_classified_by_code_and_words(string reply, BounceSeverity severity, string status)
    {
        var c = BounceClassifier.FromSmtpReply(reply);
        Assert.NotNull(c);
        Assert.Equal(severity, c.Value.Severity);
        Assert.Equal(status, c.Value.Status);
    }

    [Theory]
    [InlineData("451 4.3.0 try later")]
    [InlineData("The template failed: 5xx")]
    [InlineData("gave up after 8 tries: 421 4.3.2 closing")]
    [InlineData("")]
    [InlineData(null)]
    public void Only_a_5xx_reply_is_a_refusal(string? reply) => Assert.Null(BounceClassifier.FromSmtpReply(reply));

    [Theory]
    [InlineData("host 10.4.2.5 said nothing", null)]
    [InlineData("Exim 4.96 on 24.11.2026", null)]
    [InlineData("Status: 5.0.0 (550 5.1.1 unknown)", "5.1.1")]
    [InlineData("<EXCH01.corp.test #5.1.1>", "5.1.1")]
    [InlineData("user unknown", "5.1.1")]
    [InlineData("mailbox is full", "4.2.2")]
    public void Status_codes_are_found_and_numbers_that_only_look_like_them_are_not(string text, string? status) =>
        Assert.Equal(status, BounceClassifier.Status(null, text));

    [Fact]
    public void A_campaign_message_id_is_read_back_only_with_the_right_mac()
    {
        var key = new byte[32];
        key[0] = 9;
        var id = ReturnPath.MessageId(key, 42, 1007, "news.acme.test");
        Assert.True(ReturnPath.TryReadMessageId(key, "<" + id + ">", out var c, out var s));
        Assert.Equal((42, 1007), (c, s));
        Assert.False(ReturnPath.TryReadMessageId(key, id.Replace("s1007", "s1008", StringComparison.Ordinal), out _, out _));
        Assert.False(ReturnPath.TryReadMessageId(new byte[32], id, out _, out _));
        Assert.False(ReturnPath.TryReadMessageId(key, "random@host", out _, out _));
    }
}
