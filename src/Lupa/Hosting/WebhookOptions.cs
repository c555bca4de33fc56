using System.ComponentModel.DataAnnotations;

namespace Lupa.Hosting;

/// <summary><c>Lupa:Webhooks</c>: how the registered recipients (Article 19) are told of rectifications, erasures and restrictions.</summary>
public sealed class WebhookOptions
{
    /// <summary>Send webhooks from this node.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Tries before a delivery is given up.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 15;

    /// <summary>The wait after the first failure; it doubles each try (half of it random), up to <see cref="RetryMaxSeconds"/>.</summary>
    [Range(0.01, 86400)]
    public double RetryBaseSeconds { get; set; } = 30;

    /// <summary>The longest wait between two tries.</summary>
    [Range(0.01, 604800)]
    public double RetryMaxSeconds { get; set; } = 21600;

    /// <summary>Seconds a receiver has to answer.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Deliveries sent at once by this node.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;

    /// <summary>Allow http:// URLs (the bodies can carry personal data: only for tests and a receiver on the same host).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Allow webhooks to reach loopback, private and link-local addresses. Off, an organisation cannot make Lupa probe
    /// the operator's own network; turn on for receivers inside it.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Says which key is unusable and why, or null (nested sections are not checked by data annotations).</summary>
    public string? Problem()
    {
        if (MaxAttempts is < 1 or > 100)
            return "Lupa:Webhooks:MaxAttempts must be from 1 to 100.";
        if (RetryBaseSeconds is < 0.01 or > 86400 || RetryMaxSeconds < RetryBaseSeconds || RetryMaxSeconds > 604800)
            return "Lupa:Webhooks:RetryBaseSeconds must be from 0.01 to 86400, and RetryMaxSeconds at least that and at most 604800.";
        if (TimeoutSeconds is < 1 or > 300 || Concurrency is < 1 or > 256)
            return "Lupa:Webhooks:TimeoutSeconds must be from 1 to 300 and Concurrency from 1 to 256.";
        return null;
    }
}
