using System.Globalization;

namespace Lupa.Domain.AcceptableUse;

/// <summary>What the acceptable use policy measures, each as a share of what was sent.</summary>
public static class PolicyMeasures
{
    /// <summary>Hard bounces (reported, or a relay's 5xx answer) over the messages sent or refused.</summary>
    public const string HardBounceRate = "hard_bounce_rate";

    /// <summary>Complaints (feedback-loop reports) over the messages sent.</summary>
    public const string ComplaintRate = "complaint_rate";

    /// <summary>People who unsubscribed through a campaign's own link over the messages sent: an unsubscribe spike.</summary>
    public const string UnsubscribeRate = "unsubscribe_rate";

    /// <summary>A measure as a heading, such as "Complaint rate".</summary>
    public static string Title(string measure)
    {
        var name = Name(measure);
        return name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];
    }

    /// <summary>A measure as people read it in a sentence, such as "complaint rate".</summary>
    public static string Name(string measure) => measure switch
    {
        HardBounceRate => "hard-bounce rate",
        ComplaintRate => "complaint rate",
        UnsubscribeRate => "unsubscribe rate",
        _ => measure,
    };
}

/// <summary>How a figure stands against the policy.</summary>
public enum PolicyLevel
{
    /// <summary>Under the warning threshold, or too little was sent to judge.</summary>
    Ok,

    /// <summary>Over the warning threshold: shown to the organisation and the operator, nothing stops.</summary>
    Warning,

    /// <summary>Over the stop threshold: the campaign pauses and the organisation's sending is suspended.</summary>
    Stop,
}

/// <summary>What one campaign, or one organisation over a window, sent and got back.</summary>
/// <param name="Sent">Messages a relay accepted.</param>
/// <param name="Failed">Messages that were refused or failed for good (a relay's 5xx answer among them).</param>
/// <param name="HardBounces">Hard bounces, reported later or answered during the send.</param>
/// <param name="Complaints">Complaints.</param>
/// <param name="Unsubscribes">People who unsubscribed through the campaign's own link.</param>
public readonly record struct SendingFigures(long Sent, long Failed, long HardBounces, long Complaints, long Unsubscribes)
{
    /// <summary>Messages handed to a relay, whether it took them or not.</summary>
    public long Attempted => Sent + Failed;
}

/// <summary>One measure of the policy against its thresholds.</summary>
/// <param name="Measure">One of <see cref="PolicyMeasures"/>.</param>
/// <param name="Count">The events counted (hard bounces, complaints, unsubscribes).</param>
/// <param name="Of">The messages they are counted against.</param>
/// <param name="Rate"><paramref name="Count"/> over <paramref name="Of"/> (0 when nothing was sent).</param>
/// <param name="WarningAt">The warning threshold.</param>
/// <param name="StopAt">The stop threshold.</param>
/// <param name="Judged">False while fewer than the minimum volume were sent: the rate is shown but does not act.</param>
/// <param name="Level">Where the rate stands.</param>
public sealed record PolicyFinding(string Measure, long Count, long Of, double Rate, double WarningAt, double StopAt, bool Judged, PolicyLevel Level)
{
    /// <summary>A rate as a percentage with up to two decimals: 0.0025 is 0.25%.</summary>
    public static string Percent(double rate) => (rate * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary>The finding in words, such as "the complaint rate is 2.5% (1 of 40 sent), over the stop threshold of 0.3%".</summary>
    public string Describe()
    {
        var what = Measure == PolicyMeasures.HardBounceRate ? "sent or refused" : "sent";
        var figure = $"the {PolicyMeasures.Name(Measure)} is {Percent(Rate)} ({Count.ToString("N0", CultureInfo.InvariantCulture)} of {Of.ToString("N0", CultureInfo.InvariantCulture)} {what})";
        return Level switch
        {
            PolicyLevel.Stop => $"{figure}, over the stop threshold of {Percent(StopAt)}",
            PolicyLevel.Warning => $"{figure}, over the warning threshold of {Percent(WarningAt)}",
            _ => figure,
        };
    }
}

/// <summary>
/// The operator's acceptable use policy: warning and stop thresholds for the hard-bounce, complaint and
/// unsubscribe rates of a campaign (and of an organisation over a window of days), and the volume below
/// which rates do not act. A rate acts only when it is over (not at) its threshold, so a stop rate of 1
/// never stops. Bound from <c>Lupa:AcceptableUse</c>.
/// </summary>
public sealed class AcceptableUsePolicy
{
    /// <summary>Hard-bounce rate that warns.</summary>
    public double HardBounceWarningRate { get; set; } = 0.02;

    /// <summary>Hard-bounce rate that stops.</summary>
    public double HardBounceStopRate { get; set; } = 0.05;

    /// <summary>Complaint rate that warns.</summary>
    public double ComplaintWarningRate { get; set; } = 0.001;

    /// <summary>Complaint rate that stops.</summary>
    public double ComplaintStopRate { get; set; } = 0.003;

    /// <summary>Unsubscribe rate that warns.</summary>
    public double UnsubscribeWarningRate { get; set; } = 0.01;

    /// <summary>Unsubscribe rate that stops: a spike.</summary>
    public double UnsubscribeStopRate { get; set; } = 0.05;

    /// <summary>Messages a campaign (or an organisation in the window) must have sent before its rates warn or stop.</summary>
    public long MinimumVolume { get; set; } = 500;

    /// <summary>The days over which an organisation's campaigns are added up (by the day they started).</summary>
    public int WindowDays { get; set; } = 30;

    /// <summary>Says which setting is unusable and why, or null.</summary>
    public string? Problem()
    {
        foreach (var (name, warning, stop) in Pairs())
        {
            if (warning is < 0 or > 1 || double.IsNaN(warning) || stop is < 0 or > 1 || double.IsNaN(stop))
                return $"Lupa:AcceptableUse:{name}WarningRate and {name}StopRate must be between 0 and 1.";
            if (warning > stop)
                return $"Lupa:AcceptableUse:{name}WarningRate must not be above {name}StopRate.";
        }
        if (MinimumVolume < 1)
            return "Lupa:AcceptableUse:MinimumVolume must be at least 1.";
        if (WindowDays is < 1 or > 3650)
            return "Lupa:AcceptableUse:WindowDays must be from 1 to 3650.";
        return null;
    }

    private IEnumerable<(string Name, double Warning, double Stop)> Pairs() =>
    [
        ("HardBounce", HardBounceWarningRate, HardBounceStopRate),
        ("Complaint", ComplaintWarningRate, ComplaintStopRate),
        ("Unsubscribe", UnsubscribeWarningRate, UnsubscribeStopRate),
    ];

    /// <summary>Every measure of the figures against the thresholds.</summary>
    public IReadOnlyList<PolicyFinding> Evaluate(SendingFigures f) =>
    [
        Finding(PolicyMeasures.HardBounceRate, f.HardBounces, f.Attempted, HardBounceWarningRate, HardBounceStopRate),
        Finding(PolicyMeasures.ComplaintRate, f.Complaints, f.Sent, ComplaintWarningRate, ComplaintStopRate),
        Finding(PolicyMeasures.UnsubscribeRate, f.Unsubscribes, f.Sent, UnsubscribeWarningRate, UnsubscribeStopRate),
    ];

    /// <summary>The worst level among findings.</summary>
    public static PolicyLevel Worst(IEnumerable<PolicyFinding> findings) =>
        findings.Select(f => f.Level).DefaultIfEmpty(PolicyLevel.Ok).Max();

    /// <summary>The first finding that stops, or null.</summary>
    public static PolicyFinding? FirstStop(IEnumerable<PolicyFinding> findings) => findings.FirstOrDefault(f => f.Level == PolicyLevel.Stop);

    /// <summary>The earliest start (Unix ms) of a campaign that counts in an organisation's window at <paramref name="now"/>.</summary>
    public long WindowStart(long now) => now - WindowDays * 86_400_000L;

    private PolicyFinding Finding(string measure, long count, long of, double warning, double stop)
    {
        var rate = of <= 0 ? 0 : (double)count / of;
        var judged = of >= MinimumVolume;
        var level = !judged ? PolicyLevel.Ok : rate > stop ? PolicyLevel.Stop : rate > warning ? PolicyLevel.Warning : PolicyLevel.Ok;
        return new PolicyFinding(measure, count, of, rate, warning, stop, judged, level);
    }
}
