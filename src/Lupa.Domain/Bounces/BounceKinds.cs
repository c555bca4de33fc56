namespace Lupa.Domain.Bounces;

/// <summary>What came back about a message that was sent: the <c>kind</c> of a stored bounce event.</summary>
public static class BounceKinds
{
    /// <summary>A permanent failure that says the address is no good: suppresses the address at once.</summary>
    public const string Hard = "hard";

    /// <summary>A failure that may pass (a full mailbox, a refusal of this message): suppresses only when repeated.</summary>
    public const string Soft = "soft";

    /// <summary>The recipient reported the message as spam through a feedback loop (ARF).</summary>
    public const string Complaint = "complaint";

    /// <summary>True for a known kind.</summary>
    public static bool IsKnown(string? kind) => kind is Hard or Soft or Complaint;
}

/// <summary>Where a bounce event was learnt.</summary>
public static class BounceSources
{
    /// <summary>The relay refused the message during the send (a 5xx answer).</summary>
    public const string Send = "send";

    /// <summary>A report delivered to Lupa's own SMTP listener.</summary>
    public const string Listener = "listener";

    /// <summary>A report read from a polled mailbox (IMAP or POP3).</summary>
    public const string Mailbox = "mailbox";
}

/// <summary>When soft bounces add up to a suppression.</summary>
/// <param name="Limit">Soft bounces of one person that suppress the address.</param>
/// <param name="WindowDays">The days over which they are counted.</param>
public sealed record SoftBouncePolicy(int Limit, int WindowDays)
{
    /// <summary>Three within thirty days.</summary>
    public static readonly SoftBouncePolicy Default = new(3, 30);

    /// <summary>The earliest time (Unix ms) a soft bounce still counts at <paramref name="now"/>.</summary>
    public long WindowStart(long now) => now - WindowDays * 86_400_000L;
}
