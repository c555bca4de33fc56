namespace Lupa.Mail;

/// <summary>How Lupa reaches an SMTP relay.</summary>
public sealed class RelayOptions
{
    /// <summary>A name for logs and the admin UI; the host when empty.</summary>
    public string? Name { get; set; }

    /// <summary>Share of the campaign traffic this relay takes relative to the others.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Most messages a second to this relay; 0 for no limit.</summary>
    public int MaxPerSecond { get; set; }

    /// <summary>Host name or address; empty means no relay (the mail catcher takes the mail).</summary>
    public string? Host { get; set; }

    /// <summary>TCP port.</summary>
    public int Port { get; set; } = 25;

    /// <summary><c>none</c>, <c>starttls</c> or <c>tls</c> (TLS from the first byte).</summary>
    public string Tls { get; set; } = "none";

    /// <summary>User name for SMTP AUTH, if the relay wants it.</summary>
    public string? Username { get; set; }

    /// <summary>Password for SMTP AUTH.</summary>
    public string? Password { get; set; }

    /// <summary>Most connections held open to this relay at once.</summary>
    public int MaxConnections { get; set; } = 8;

    /// <summary>Seconds to wait for the relay to answer.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}
