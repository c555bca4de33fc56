using Lupa.Domain.AcceptableUse;
using Lupa.Domain.Reports;

namespace Lupa.Domain.Tests;

public sealed class AcceptableUsePolicyTests
{
    private static PolicyFinding Of(IReadOnlyList<PolicyFinding> findings, string measure) => findings.Single(f => f.Measure == measure);

    [Fact]
    public void One_complaint_of_ten_sent_does_not_act_under_the_minimum_volume()
    {
        var findings = new AcceptableUsePolicy().Evaluate(new SendingFigures(10, 0, 0, 1, 0));
        var complaints = Of(findings, PolicyMeasures.ComplaintRate);
        Assert.Equal(0.1, complaints.Rate);
        Assert.False(complaints.Judged);
        Assert.Equal(PolicyLevel.Ok, complaints.Level);
        Assert.Null(AcceptableUsePolicy.FirstStop(findings));
    }

    [Theory]
    [InlineData(1000, 1, PolicyLevel.Ok)]      // 0.1%: at the warning threshold, not over it
    [InlineData(1000, 2, PolicyLevel.Warning)] // 0.2%
    [InlineData(1000, 3, PolicyLevel.Warning)] // 0.3%: at the stop threshold
    [InlineData(1000, 4, PolicyLevel.Stop)]    // 0.4%
    public void The_default_complaint_thresholds_warn_over_a_tenth_and_stop_over_three_tenths_of_a_percent(long sent, long complaints, PolicyLevel level) =>
        Assert.Equal(level, Of(new AcceptableUsePolicy().Evaluate(new SendingFigures(sent, 0, 0, complaints, 0)), PolicyMeasures.ComplaintRate).Level);

    [Fact]
    public void The_hard_bounce_rate_counts_refused_messages_too()
    {
        // 60 of 1,000 handed over (940 taken, 60 refused with 5xx) is 6%: over the 5% stop.
        var findings = new AcceptableUsePolicy().Evaluate(new SendingFigures(940, 60, 60, 0, 0));
        var hard = Of(findings, PolicyMeasures.HardBounceRate);
        Assert.Equal(1000, hard.Of);
        Assert.Equal(PolicyLevel.Stop, hard.Level);
        Assert.Same(hard, AcceptableUsePolicy.FirstStop(findings));
        Assert.Equal("the hard-bounce rate is 6% (60 of 1,000 sent or refused), over the stop threshold of 5%", hard.Describe());
    }

    [Fact]
    public void An_unsubscribe_spike_stops_and_a_rise_warns()
    {
        var policy = new AcceptableUsePolicy();
        Assert.Equal(PolicyLevel.Warning, AcceptableUsePolicy.Worst(policy.Evaluate(new SendingFigures(1000, 0, 0, 0, 20))));
        Assert.Equal(PolicyLevel.Stop, AcceptableUsePolicy.Worst(policy.Evaluate(new SendingFigures(1000, 0, 0, 0, 60))));
    }

    [Fact]
    public void A_stop_rate_of_one_never_stops_and_nothing_sent_is_no_rate()
    {
        var policy = new AcceptableUsePolicy { ComplaintStopRate = 1, ComplaintWarningRate = 1, MinimumVolume = 1 };
        Assert.Equal(PolicyLevel.Ok, Of(policy.Evaluate(new SendingFigures(5, 0, 0, 5, 0)), PolicyMeasures.ComplaintRate).Level);
        Assert.All(policy.Evaluate(default), f => Assert.Equal(0, f.Rate));
    }

    [Theory]
    [InlineData(0.5, 0.1, 500, 30, "WarningRate must not be above")]
    [InlineData(0.1, 1.5, 500, 30, "between 0 and 1")]
    [InlineData(0.001, 0.003, 0, 30, "MinimumVolume")]
    [InlineData(0.001, 0.003, 500, 0, "WindowDays")]
    public void Unusable_settings_are_named(double warning, double stop, long minimum, int window, string expected)
    {
        var policy = new AcceptableUsePolicy { ComplaintWarningRate = warning, ComplaintStopRate = stop, MinimumVolume = minimum, WindowDays = window };
        Assert.Contains(expected, policy.Problem());
        Assert.Null(new AcceptableUsePolicy().Problem());
    }

    [Fact]
    public void Report_weeks_start_on_monday_utc()
    {
        var wednesday = new DateTimeOffset(2026, 3, 4, 23, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var week = ReportWeeks.Number(wednesday);
        Assert.Equal(new DateOnly(2026, 3, 2), ReportWeeks.StartDate(week));
        Assert.Equal(week, ReportWeeks.Number(new DateTimeOffset(2026, 3, 8, 23, 59, 59, TimeSpan.Zero).ToUnixTimeMilliseconds()));
        Assert.Equal(week + 1, ReportWeeks.Number(new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()));
        var weeks = ReportWeeks.Ending(wednesday, 3);
        Assert.Equal([week - 2, week - 1, week], weeks);
    }
}
