using System.ComponentModel.DataAnnotations;
using Lupa.Mail;

namespace Lupa.Hosting;

/// <summary>The <c>Lupa</c> configuration section. Every key is described in docs/configuration.md.</summary>
public sealed class LupaOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "Lupa";

    /// <summary>Where the data lives.</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>The address people reach Lupa at; used in every link in mail.</summary>
    [Required]
    public string PublicUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The relay for outgoing mail.</summary>
    public RelayOptions Smtp { get; set; } = new();

    /// <summary>The embedded mail catcher.</summary>
    public MailCatcherOptions MailCatcher { get; set; } = new();

    /// <summary>System mail (confirmations).</summary>
    public SystemMailOptions Mail { get; set; } = new();

    /// <summary>The public subscription form.</summary>
    public PublicFormOptions PublicForm { get; set; } = new();

    /// <summary>The operator account.</summary>
    public OperatorOptions Operator { get; set; } = new();

    /// <summary>Keys.</summary>
    public SecretOptions Secrets { get; set; } = new();

    /// <summary>The outbox worker.</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>Imports.</summary>
    public ImportOptions Imports { get; set; } = new();

    /// <summary>Campaign sending.</summary>
    public CampaignOptions Campaigns { get; set; } = new();

    /// <summary>Data-subject requests: deadlines, links, the daily summary.</summary>
    public PrivacyOptions Privacy { get; set; } = new();

    /// <summary>Webhooks to the registered recipients (Article 19).</summary>
    public WebhookOptions Webhooks { get; set; } = new();
    /// <summary>Bounces and complaints coming back.</summary>
    public BounceOptions Bounces { get; set; } = new();

    /// <summary>Opens and clicks.</summary>
    public TrackingOptions Tracking { get; set; } = new();

    /// <summary>The operator's acceptable use policy: the rates that warn, pause campaigns and suspend sending.</summary>
    public Lupa.Domain.AcceptableUse.AcceptableUsePolicy AcceptableUse { get; set; } = new();

    /// <summary>The daily retention job.</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>The operator as processor, for the records of processing (Article 30(2)).</summary>
    public ProcessorOptions Processor { get; set; } = new();

    /// <summary>
    /// Relays for campaign mail, with weights and limits; when empty, campaigns use <see cref="Smtp"/>
    /// (or the mail catcher when no relay is set).
    /// </summary>
    public List<RelayOptions> Relays { get; set; } = [];

    /// <summary>Folder for uploaded import files; must be shared by every node that runs imports.</summary>
    public string DataPath { get; set; } = "lupa-data";
}

/// <summary><c>Lupa:Tracking</c>: the open pixel and the click redirect.</summary>
public sealed class TrackingOptions
{
    /// <summary>
    /// Campaign messages carry the open pixel and links through the click redirect (counted in aggregate, per person
    /// only where the organisation turned individual tracking on). False: new messages carry neither; links already
    /// sent keep working.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long the writer gathers opens and clicks into one transaction (group commit), in milliseconds.</summary>
    [Range(10, 10_000)]
    public int FlushMilliseconds { get; set; } = 200;

    /// <summary>Most opens and clicks held in memory while the database is slow or away; beyond that they are dropped and logged.</summary>
    [Range(1_000, 100_000_000)]
    public int MaxBuffered { get; set; } = 1_000_000;
}

/// <summary><c>Lupa:Imports</c>.</summary>
public sealed class ImportOptions
{
    /// <summary>The purchased-list check's thresholds, set by the operator.</summary>
    public Lupa.Domain.Imports.RiskThresholds Thresholds { get; set; } = new();

    /// <summary>Rows applied per transaction.</summary>
    [Range(10, 100_000)]
    public int BatchSize { get; set; } = 5000;

    /// <summary>Re-permission mails an import may queue per minute (they are spread out over time).</summary>
    [Range(1, 100_000)]
    public int RepermissionPerMinute { get; set; } = 120;

    /// <summary>Run queued imports on this node.</summary>
    public bool WorkerEnabled { get; set; } = true;

    /// <summary>Largest upload accepted, in megabytes.</summary>
    [Range(1, 100_000)]
    public int MaxUploadMegabytes { get; set; } = 1024;
}

/// <summary><c>Lupa:Database</c>.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";
}

/// <summary><c>Lupa:MailCatcher</c>.</summary>
public sealed class MailCatcherOptions
{
    /// <summary>Run the catcher; by default it runs when no relay host is set.</summary>
    public bool? Enabled { get; set; }

    /// <summary>The port it listens on at 127.0.0.1.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 2525;
}

/// <summary><c>Lupa:Mail</c>.</summary>
public sealed class SystemMailOptions
{
    /// <summary>The address system mail comes from; by default no-reply at the public URL's host.</summary>
    public string? FromAddress { get; set; }

    /// <summary>A mailbox that takes unsubscribe requests by mail (the mailto of List-Unsubscribe); by default unsubscribe at the public URL's host.</summary>
    public string? UnsubscribeAddress { get; set; }
}

/// <summary><c>Lupa:PublicForm</c>.</summary>
public sealed class PublicFormOptions
{
    /// <summary>Form posts one IP address may make in a minute.</summary>
    [Range(1, 1_000_000_000)]
    public int RateLimitPerMinute { get; set; } = 30;

    /// <summary>Minutes during which a repeated request does not send another confirmation mail.</summary>
    [Range(0, 10080)]
    public int ResendAfterMinutes { get; set; } = 10;

    /// <summary>Days a confirmation link stays valid.</summary>
    [Range(1, 365)]
    public int ConfirmationValidDays { get; set; } = 7;
}

/// <summary><c>Lupa:Operator</c>.</summary>
public sealed class OperatorOptions
{
    /// <summary>The operator's login address.</summary>
    public string Email { get; set; } = "operator@lupa.localhost";

    /// <summary>A password to set at start (otherwise one is generated once and printed).</summary>
    public string? Password { get; set; }
}

/// <summary><c>Lupa:Secrets</c>.</summary>
public sealed class SecretOptions
{
    /// <summary>Base64 key (32 bytes or more) that signs links in mail; generated and kept in the database when unset.</summary>
    public string? LinkKey { get; set; }

    /// <summary>Base64 key of the suppression list's address hashes; generated and kept in the database when unset. Never change it: old entries would stop matching.</summary>
    public string? SuppressionKey { get; set; }

    /// <summary>
    /// Base64 key (32 bytes or more) of the MAC on the audit trail's head. Keep it outside the database (environment or a
    /// secrets file): whoever can write the database but not read this key cannot remove the last audit entries or
    /// rewrite the chain unnoticed. Unset: the head carries no MAC.
    /// </summary>
    public string? AuditKey { get; set; }
}

/// <summary><c>Lupa:Retention</c>.</summary>
public sealed class RetentionOptions
{
    /// <summary>Run the daily retention job on this node (any number of nodes may; each organisation's day runs once).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The hour (0-23, in <c>Lupa:Privacy:TimeZone</c>) the job runs.</summary>
    [Range(0, 23)]
    public int Hour { get; set; } = 3;
}

/// <summary><c>Lupa:Processor</c>: the operator running Lupa for its customer organisations, as the records of processing name it.</summary>
public sealed class ProcessorOptions
{
    /// <summary>The processor's name (the service provider).</summary>
    public string Name { get; set; } = "The operator of this Lupa service";

    /// <summary>Its postal address, mail and phone.</summary>
    public string Contact { get; set; } = "";

    /// <summary>Its data protection officer, if any.</summary>
    public string DpoContact { get; set; } = "";

    /// <summary>Transfers to third countries or international organisations and their safeguards (Article 30(2)(c)).</summary>
    public string Transfers { get; set; } = "None: Lupa sends no personal data outside the servers and relays listed here.";

    /// <summary>Sub-processors the operator uses (hosting, backups, relays run by others), one entry each.</summary>
    public List<string> SubProcessors { get; set; } = [];
}

/// <summary><c>Lupa:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>Send queued system mail from this node.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Messages sent at once.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 8;

    /// <summary>Messages claimed per batch.</summary>
    [Range(1, 10000)]
    public int BatchSize { get; set; } = 200;
}

/// <summary><c>Lupa:Campaigns</c>.</summary>
public sealed class CampaignOptions
{
    /// <summary>Send campaigns from this node.</summary>
    public bool WorkerEnabled { get; set; } = true;

    /// <summary>Recipients claimed per batch.</summary>
    [Range(1, 10000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>Messages sent at once by this node; 0 for the relays' connection limits added up.</summary>
    [Range(0, 1024)]
    public int Concurrency { get; set; }

    /// <summary>How long a claimed recipient stays with this node; when a node dies, others take its recipients after this.</summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>The first wait after a 4xx answer or a dropped connection; it doubles each try, with jitter.</summary>
    [Range(0.01, 86400)]
    public double RetryBaseSeconds { get; set; } = 60;

    /// <summary>Tries before a recipient that keeps getting 4xx answers is given up.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Sends looked at when deciding the relay is down.</summary>
    [Range(10, 100000)]
    public int FailureWindow { get; set; } = 100;

    /// <summary>Share of failed sends in the window that pauses the campaign until a relay answers again.</summary>
    [Range(0.05, 1)]
    public double PauseFailureRatio { get; set; } = 0.5;

    /// <summary>Seconds between checks whether a relay answers again, for a campaign paused by failures.</summary>
    [Range(1, 3600)]
    public int ProbeSeconds { get; set; } = 15;

    /// <summary>The domain of the VERP return address; by default the sender's own domain.</summary>
    public string? ReturnPathDomain { get; set; }

    /// <summary>Sign campaign mail with DKIM; turn off where the relay signs.</summary>
    public bool DkimSigning { get; set; } = true;

    /// <summary>The DKIM selector for new sender domains' keys.</summary>
    public string DkimSelector { get; set; } = "lupa";

    /// <summary>Subscribers the compliance check renders the template for.</summary>
    [Range(1, 1000000)]
    public int CheckRenderSample { get; set; } = 1000;
}

/// <summary><c>Lupa:Privacy</c>.</summary>
public sealed class PrivacyOptions
{
    /// <summary>The IANA time zone in which request deadlines are counted in calendar days and the daily summary's hour is read.</summary>
    [Required]
    public string TimeZone { get; set; } = "Europe/Helsinki";

    /// <summary>Days a verification link of a self-service request stays valid.</summary>
    [Range(1, 60)]
    public int VerificationValidDays { get; set; } = 7;

    /// <summary>Days the link to an access report or portability download stays valid.</summary>
    [Range(1, 60)]
    public int ReportLinkValidDays { get; set; } = 7;

    /// <summary>Send the daily summary of overdue and due-soon requests from this node.</summary>
    public bool SummaryEnabled { get; set; } = true;

    /// <summary>The hour (0-23, in <see cref="TimeZone"/>) the daily summary goes out.</summary>
    [Range(0, 23)]
    public int SummaryHour { get; set; } = 8;

    /// <summary>The time zone as .NET knows it.</summary>
    public TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>Says which key is unusable and why, or null (nested sections are not checked by data annotations).</summary>
    public string? Problem()
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone ?? "", out _))
            return $"Lupa:Privacy:TimeZone '{TimeZone}' is not a known time zone; use a name such as Europe/Helsinki.";
        if (SummaryHour is < 0 or > 23)
            return "Lupa:Privacy:SummaryHour must be from 0 to 23.";
        if (VerificationValidDays is < 1 or > 60 || ReportLinkValidDays is < 1 or > 60)
            return "Lupa:Privacy:VerificationValidDays and ReportLinkValidDays must be from 1 to 60.";
        return null;
    }
}

/// <summary><c>Lupa:Bounces</c>.</summary>
public sealed class BounceOptions
{
    /// <summary>Run the SMTP listener for bounces and complaints on this node.</summary>
    public bool Enabled { get; set; }

    /// <summary>The address the listener binds to; production puts it behind the MX of the return-path domain.</summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The listener's port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 2526;

    /// <summary>The address feedback loops send complaints (ARF) to, accepted by the listener besides the VERP addresses.</summary>
    public string? ComplaintAddress { get; set; }

    /// <summary>Soft bounces of one person within <see cref="SoftBounceWindowDays"/> that suppress the address.</summary>
    [Range(1, 1000)]
    public int SoftBounceLimit { get; set; } = 3;

    /// <summary>The days over which soft bounces are counted.</summary>
    [Range(1, 3650)]
    public int SoftBounceWindowDays { get; set; } = 30;

    /// <summary>Days a bounce's or complaint's raw message is kept; the event itself stays.</summary>
    [Range(0, 3650)]
    public int RawRetentionDays { get; set; } = 30;

    /// <summary>Largest report the listener takes, in kilobytes.</summary>
    [Range(16, 1_000_000)]
    public int MaxMessageKilobytes { get; set; } = 10_240;

    /// <summary>A mailbox polled for bounces that land elsewhere; off while its host is unset.</summary>
    public BounceMailboxOptions Mailbox { get; set; } = new();

    /// <summary>The soft-bounce rule.</summary>
    public Lupa.Domain.Bounces.SoftBouncePolicy SoftBounces() => new(SoftBounceLimit, SoftBounceWindowDays);
}

/// <summary><c>Lupa:Bounces:Mailbox</c>: every message read from it is processed and then deleted.</summary>
public sealed class BounceMailboxOptions
{
    /// <summary><c>imap</c> or <c>pop3</c>.</summary>
    [RegularExpression("^(?i)(imap|pop3)$")]
    public string Protocol { get; set; } = "imap";

    /// <summary>The server; polling is off while it is unset.</summary>
    public string? Host { get; set; }

    /// <summary>The port; 0 for the protocol's usual one (993 or 143 for IMAP, 995 or 110 for POP3, by <see cref="Tls"/>).</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary><c>tls</c> (from the first byte), <c>starttls</c> or <c>none</c>.</summary>
    [RegularExpression("^(?i)(tls|starttls|none)$")]
    public string Tls { get; set; } = "tls";

    /// <summary>The login.</summary>
    public string? Username { get; set; }

    /// <summary>The password.</summary>
    public string? Password { get; set; }

    /// <summary>The IMAP folder read; POP3 has only the one.</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>Seconds between polls.</summary>
    [Range(1, 86400)]
    public int PollSeconds { get; set; } = 60;
}
