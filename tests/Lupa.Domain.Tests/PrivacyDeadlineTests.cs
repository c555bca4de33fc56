using Lupa.Domain.Privacy;

namespace Lupa.Domain.Tests;

public sealed class PrivacyDeadlineTests
{
    private static readonly TimeZoneInfo Helsinki = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");

    private static DateOnly D(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2025-01-31", "2025-02-28")] // the 31st does not exist in February: its last day
    [InlineData("2024-01-31", "2024-02-29")] // a leap year's February
    [InlineData("2024-01-30", "2024-02-29")]
    [InlineData("2024-01-29", "2024-02-29")]
    [InlineData("2025-01-29", "2025-02-28")]
    [InlineData("2025-01-28", "2025-02-28")]
    [InlineData("2025-03-30", "2025-04-30")] // the same date when it exists
    [InlineData("2025-03-31", "2025-04-30")]
    [InlineData("2025-04-30", "2025-05-30")] // not the month's last day just because receipt was
    [InlineData("2025-02-28", "2025-03-28")]
    [InlineData("2024-02-29", "2024-03-29")]
    [InlineData("2025-12-15", "2026-01-15")] // over the year's end
    [InlineData("2025-12-31", "2026-01-31")]
    [InlineData("2025-08-31", "2025-09-30")]
    [InlineData("2025-05-31", "2025-06-30")]
    [InlineData("2025-06-01", "2025-07-01")]
    [InlineData("2100-01-31", "2100-02-28")] // a century year that is not a leap year
    [InlineData("2000-01-31", "2000-02-29")] // one that is
    public void Due_date_is_one_calendar_month_after_receipt(string received, string due) =>
        Assert.Equal(D(due), PrivacyDeadlines.DueDate(D(received)));

    [Fact]
    public void Every_day_of_four_years_is_due_on_the_same_day_next_month_or_that_months_last_day()
    {
        for (var day = D("2023-01-01"); day < D("2027-01-01"); day = day.AddDays(1))
        {
            var due = PrivacyDeadlines.DueDate(day);
            var nextMonth = new DateOnly(day.Year, day.Month, 1).AddMonths(1);
            Assert.Equal((nextMonth.Year, nextMonth.Month), (due.Year, due.Month));
            Assert.Equal(Math.Min(day.Day, DateTime.DaysInMonth(due.Year, due.Month)), due.Day);
        }
    }

    [Theory]
    [InlineData("2025-01-31", 1, "2025-03-31")]
    [InlineData("2025-01-31", 2, "2025-04-30")] // counted from receipt, not from 28 February
    [InlineData("2024-11-30", 2, "2025-02-28")]
    [InlineData("2023-11-30", 2, "2024-02-29")]
    [InlineData("2023-12-31", 1, "2024-02-29")]
    [InlineData("2025-03-15", 2, "2025-06-15")]
    public void Extended_due_date_is_counted_from_receipt(string received, int months, string due) =>
        Assert.Equal(D(due), PrivacyDeadlines.DueDate(D(received), months));

    [Fact]
    public void Extension_by_two_months_ends_three_months_after_receipt()
    {
        var r = PrivacyDeadlines.Extend(D("2025-01-31"), 0, 2, "Many requests at once after a campaign.", D("2025-02-10"));
        Assert.True(r.IsOk, r.Reason);
        Assert.Equal(D("2025-04-30"), r.Value);
    }

    [Fact]
    public void Two_extensions_of_a_month_each_reach_the_same_date_as_one_of_two()
    {
        var first = PrivacyDeadlines.Extend(D("2024-11-30"), 0, 1, "Complex request.", D("2024-12-01"));
        var second = PrivacyDeadlines.Extend(D("2024-11-30"), 1, 1, "Still complex.", D("2024-12-20"));
        Assert.Equal(D("2025-01-30"), first.Value);
        Assert.Equal(D("2025-02-28"), second.Value);
        Assert.Equal(PrivacyDeadlines.Extend(D("2024-11-30"), 0, 2, "Complex.", D("2024-12-01")).Value, second.Value);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 3)]
    [InlineData(0, -1)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void Extension_never_goes_beyond_three_months_after_receipt(int soFar, int months)
    {
        var r = PrivacyDeadlines.Extend(D("2025-01-10"), soFar, months, "A reason.", D("2025-01-20"));
        Assert.False(r.IsOk);
        Assert.Equal("months", r.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Extension_without_a_reason_is_refused(string? reason)
    {
        var r = PrivacyDeadlines.Extend(D("2025-01-10"), 0, 1, reason, D("2025-01-20"));
        Assert.False(r.IsOk);
        Assert.Equal("reason", r.Code);
    }

    [Fact]
    public void Extension_reason_has_a_length_limit()
    {
        var r = PrivacyDeadlines.Extend(D("2025-01-10"), 0, 1, new string('x', PrivacyDeadlines.MaxReasonLength + 1), D("2025-01-20"));
        Assert.Equal("reason", r.Code);
        Assert.True(PrivacyDeadlines.Extend(D("2025-01-10"), 0, 1, new string('x', PrivacyDeadlines.MaxReasonLength), D("2025-01-20")).IsOk);
    }

    [Fact]
    public void Extension_must_be_told_within_the_first_month()
    {
        // Received 31 January 2025: the first month ends 28 February; the extension may be made on that day, not after.
        Assert.True(PrivacyDeadlines.Extend(D("2025-01-31"), 0, 1, "Reason.", D("2025-02-28")).IsOk);
        var late = PrivacyDeadlines.Extend(D("2025-01-31"), 0, 1, "Reason.", D("2025-03-01"));
        Assert.False(late.IsOk);
        Assert.Contains("2025-02-28", late.Reason);
        // Every extension must be told within the first month, a second one too.
        Assert.False(PrivacyDeadlines.Extend(D("2025-01-31"), 1, 1, "Reason.", D("2025-03-10")).IsOk);
    }

    [Theory]
    [InlineData("2025-02-28", "2025-02-10", DeadlineState.OnTime)]
    [InlineData("2025-02-28", "2025-02-20", DeadlineState.OnTime)] // 8 days left
    [InlineData("2025-02-28", "2025-02-21", DeadlineState.DueSoon)] // 7 days left
    [InlineData("2025-02-28", "2025-02-27", DeadlineState.DueSoon)]
    [InlineData("2025-02-28", "2025-02-28", DeadlineState.DueSoon)] // due today is not yet late
    [InlineData("2025-02-28", "2025-03-01", DeadlineState.Overdue)]
    [InlineData("2024-02-29", "2024-03-01", DeadlineState.Overdue)]
    [InlineData("2024-03-01", "2024-02-23", DeadlineState.DueSoon)] // across a leap day: 7 days
    [InlineData("2024-03-01", "2024-02-22", DeadlineState.OnTime)]
    [InlineData("2026-01-02", "2025-12-26", DeadlineState.DueSoon)] // across the year's end
    public void Deadline_state_is_overdue_after_the_due_date_and_due_soon_within_seven_days(string due, string today, DeadlineState state) =>
        Assert.Equal(state, PrivacyDeadlines.State(D(due), D(today)));

    [Fact]
    public void Days_left_are_counted_in_calendar_days()
    {
        Assert.Equal(0, PrivacyDeadlines.DaysLeft(D("2024-02-29"), D("2024-02-29")));
        Assert.Equal(2, PrivacyDeadlines.DaysLeft(D("2024-03-01"), D("2024-02-28")));
        Assert.Equal(1, PrivacyDeadlines.DaysLeft(D("2025-03-01"), D("2025-02-28")));
        Assert.Equal(-3, PrivacyDeadlines.DaysLeft(D("2025-12-30"), D("2026-01-02")));
    }

    [Fact]
    public void Receipt_date_is_the_organisations_local_date()
    {
        // 22:30 UTC on 31 January is already 1 February in Helsinki: due 1 March, not 28 February.
        var late = DateTimeOffset.Parse("2025-01-31T22:30:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(D("2025-02-01"), PrivacyDeadlines.LocalDate(late, Helsinki));
        Assert.Equal(D("2025-03-01"), PrivacyDeadlines.DueDate(PrivacyDeadlines.LocalDate(late, Helsinki)));
        Assert.Equal(D("2025-02-28"), PrivacyDeadlines.DueDate(PrivacyDeadlines.LocalDate(late, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void A_period_ends_at_the_last_millisecond_of_its_local_day()
    {
        var end = PrivacyDeadlines.EndOfDay(D("2025-02-28"), Helsinki);
        Assert.Equal(DateTimeOffset.Parse("2025-02-28T21:59:59.999Z", System.Globalization.CultureInfo.InvariantCulture), end.ToUniversalTime());
        Assert.Equal(D("2025-02-28"), PrivacyDeadlines.LocalDate(end, Helsinki));
        Assert.Equal(D("2025-03-01"), PrivacyDeadlines.LocalDate(end.AddMilliseconds(1), Helsinki));
    }

    [Fact]
    public void Days_when_the_clocks_change_end_at_local_midnight()
    {
        // Summer time starts 30 March 2025 (23 hours), ends 26 October 2025 (25 hours) in Helsinki.
        var spring = PrivacyDeadlines.EndOfDay(D("2025-03-30"), Helsinki);
        Assert.Equal(TimeSpan.FromHours(3), spring.Offset);
        Assert.Equal(TimeSpan.FromHours(23), spring.AddMilliseconds(1) - PrivacyDeadlines.StartOfDay(D("2025-03-30"), Helsinki));
        var autumn = PrivacyDeadlines.EndOfDay(D("2025-10-26"), Helsinki);
        Assert.Equal(TimeSpan.FromHours(2), autumn.Offset);
        Assert.Equal(TimeSpan.FromHours(25), autumn.AddMilliseconds(1) - PrivacyDeadlines.StartOfDay(D("2025-10-26"), Helsinki));
    }

    [Theory]
    [InlineData("2025-02-10T05:00:00Z", 8, "2025-02-10T06:00:00Z")] // 07:00 in Helsinki: today at 08:00
    [InlineData("2025-02-10T06:00:00Z", 8, "2025-02-11T06:00:00Z")] // exactly 08:00: the next day
    [InlineData("2025-02-10T07:30:00Z", 8, "2025-02-11T06:00:00Z")]
    [InlineData("2025-02-10T22:30:00Z", 0, "2025-02-11T22:00:00Z")] // 00:30 local on the 11th: midnight of the 12th
    [InlineData("2025-03-29T12:00:00Z", 8, "2025-03-30T05:00:00Z")] // summer time begins overnight: 08:00 is UTC+3
    [InlineData("2025-03-30T00:30:00Z", 3, "2025-03-30T01:00:00Z")] // 03:00 does not exist that day: 04:00 EEST
    public void Daily_run_is_the_next_time_the_local_clock_shows_the_hour(string now, int hour, string next) =>
        Assert.Equal(
            DateTimeOffset.Parse(next, System.Globalization.CultureInfo.InvariantCulture),
            PrivacyDeadlines.NextDailyRun(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), hour, Helsinki));

    [Theory]
    [InlineData("received", PrivacyRequestStatuses.Action.Verify, "verified")]
    [InlineData("verified", PrivacyRequestStatuses.Action.Extend, "extended")]
    [InlineData("extended", PrivacyRequestStatuses.Action.Extend, "extended")]
    [InlineData("in_progress", PrivacyRequestStatuses.Action.Complete, "completed")]
    [InlineData("extended", PrivacyRequestStatuses.Action.Refuse, "refused")]
    [InlineData("verified", PrivacyRequestStatuses.Action.Start, "in_progress")]
    [InlineData("received", PrivacyRequestStatuses.Action.Withdraw, "withdrawn")]
    public void Request_actions_lead_to_their_status(string from, PrivacyRequestStatuses.Action action, string to) =>
        Assert.Equal(to, PrivacyRequestStatuses.After(from, action).Value);

    [Theory]
    [InlineData("received", PrivacyRequestStatuses.Action.Complete)]
    [InlineData("received", PrivacyRequestStatuses.Action.Extend)]
    [InlineData("completed", PrivacyRequestStatuses.Action.Extend)]
    [InlineData("refused", PrivacyRequestStatuses.Action.Complete)]
    [InlineData("withdrawn", PrivacyRequestStatuses.Action.Refuse)]
    [InlineData("verified", PrivacyRequestStatuses.Action.Verify)]
    public void Closed_or_unverified_requests_refuse_actions_with_a_reason(string from, PrivacyRequestStatuses.Action action)
    {
        var r = PrivacyRequestStatuses.After(from, action);
        Assert.False(r.IsOk);
        Assert.False(string.IsNullOrWhiteSpace(r.Reason));
    }

    [Fact]
    public void Only_verified_unclosed_requests_are_open()
    {
        Assert.Equal(["verified", "in_progress", "extended"], PrivacyRequestStatuses.All.Where(PrivacyRequestStatuses.IsOpen));
    }
}
