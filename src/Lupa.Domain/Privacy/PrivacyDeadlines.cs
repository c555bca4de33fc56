namespace Lupa.Domain.Privacy;

/// <summary>Where a request stands against its deadline.</summary>
public enum DeadlineState
{
    /// <summary>More than <see cref="PrivacyDeadlines.DueSoonDays"/> days to go.</summary>
    OnTime,

    /// <summary>Due today or within <see cref="PrivacyDeadlines.DueSoonDays"/> days.</summary>
    DueSoon,

    /// <summary>The due date has passed.</summary>
    Overdue,
}

/// <summary>
/// The deadlines of Article 12(3): an answer within one month of receipt, extendable by up to two further
/// months when the person is told, within the first month, why. Periods are counted in calendar dates as
/// Regulation 1182/71 counts them: a month after 30 March is 30 April, and a month after 31 January is the
/// last day of February (28 or 29), since the date does not exist there. The period ends at the end of that
/// day in the organisation's time zone. Pure functions: the caller says what today is.
/// </summary>
public static class PrivacyDeadlines
{
    /// <summary>Months the controller has to answer.</summary>
    public const int MonthsToAnswer = 1;

    /// <summary>The most further months an extension may add, in total.</summary>
    public const int MaxExtensionMonths = 2;

    /// <summary>A request due within this many days (today included) is due soon.</summary>
    public const int DueSoonDays = 7;

    /// <summary>The longest reason for an extension kept.</summary>
    public const int MaxReasonLength = 2000;

    /// <summary>
    /// The date <paramref name="months"/> calendar months after <paramref name="date"/>: the same day of the
    /// month, or the last day of the month when that day does not exist there.
    /// </summary>
    public static DateOnly AddMonths(DateOnly date, int months)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(months);
        var first = new DateOnly(date.Year, date.Month, 1).AddMonths(months);
        var day = Math.Min(date.Day, DateTime.DaysInMonth(first.Year, first.Month));
        return new DateOnly(first.Year, first.Month, day);
    }

    /// <summary>The due date of a request received on <paramref name="receivedOn"/>: one calendar month later.</summary>
    public static DateOnly DueDate(DateOnly receivedOn) => AddMonths(receivedOn, MonthsToAnswer);

    /// <summary>
    /// The due date after extensions totalling <paramref name="extensionMonths"/> months, counted from receipt
    /// (received 31 January and extended by two months: 30 April, not two months after 28 February).
    /// </summary>
    public static DateOnly DueDate(DateOnly receivedOn, int extensionMonths)
    {
        if (extensionMonths is < 0 or > MaxExtensionMonths)
            throw new ArgumentOutOfRangeException(nameof(extensionMonths), $"An extension is 0 to {MaxExtensionMonths} months.");
        return AddMonths(receivedOn, MonthsToAnswer + extensionMonths);
    }

    /// <summary>
    /// Extends a request by <paramref name="months"/> further months. Refused, naming the field, when the
    /// months are not 1 or 2, when the total would pass three months after receipt, when no reason is given,
    /// or when the first month has already run out (Article 12(3): the person must be told within it).
    /// Returns the new due date.
    /// </summary>
    public static Outcome<DateOnly> Extend(DateOnly receivedOn, int extendedSoFar, int months, string? reason, DateOnly today)
    {
        if (months is < 1 or > MaxExtensionMonths)
            return Outcome<DateOnly>.Fail("months", $"An extension is 1 or {MaxExtensionMonths} further months.");
        if (extendedSoFar + months > MaxExtensionMonths)
        {
            var left = MaxExtensionMonths - extendedSoFar;
            return Outcome<DateOnly>.Fail("months", left <= 0
                ? $"The request is already extended by {MaxExtensionMonths} months, to three months after receipt; it cannot be extended further."
                : $"The request is already extended by {extendedSoFar} month; it can be extended by at most {left} more, to three months after receipt.");
        }
        if (string.IsNullOrWhiteSpace(reason))
            return Outcome<DateOnly>.Fail("reason", "An extension needs a reason: the person is told why (Article 12(3)).");
        if (reason.Length > MaxReasonLength)
            return Outcome<DateOnly>.Fail("reason", $"The reason must be at most {MaxReasonLength} characters.");
        if (today > DueDate(receivedOn))
            return Outcome<DateOnly>.Fail("months", $"The first month ran out on {DueDate(receivedOn):yyyy-MM-dd}: an extension must be told to the person within one month of receipt.");
        return Outcome<DateOnly>.Ok(DueDate(receivedOn, extendedSoFar + months));
    }

    /// <summary>Days from <paramref name="today"/> to <paramref name="due"/>: 0 on the due date, negative after it.</summary>
    public static int DaysLeft(DateOnly due, DateOnly today) => due.DayNumber - today.DayNumber;

    /// <summary>Whether a request due on <paramref name="due"/> is overdue, due soon, or on time today.</summary>
    public static DeadlineState State(DateOnly due, DateOnly today) => DaysLeft(due, today) switch
    {
        < 0 => DeadlineState.Overdue,
        <= DueSoonDays => DeadlineState.DueSoon,
        _ => DeadlineState.OnTime,
    };

    /// <summary>The calendar date of an instant in a time zone.</summary>
    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>
    /// The last millisecond of a date in a time zone: when a period ending on that date runs out. Correct across
    /// daylight-saving changes (the day may be 23 or 25 hours long).
    /// </summary>
    public static DateTimeOffset EndOfDay(DateOnly date, TimeZoneInfo zone) => StartOfDay(date.AddDays(1), zone).AddMilliseconds(-1);

    /// <summary>The first instant of a date in a time zone (where midnight is skipped, the first time that exists).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone) => Instant(date.ToDateTime(TimeOnly.MinValue), zone);

    // A local wall-clock time as an instant: a time the clocks skip moves to the first that exists after it,
    // and one that happens twice (clocks turned back) is its earlier occurrence, the larger offset.
    private static DateTimeOffset Instant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(15);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    /// <summary>
    /// The next time a daily job set for <paramref name="hour"/> o'clock in <paramref name="zone"/> runs after
    /// <paramref name="now"/> (strictly later). Where that hour is skipped by a clock change, the first time after it.
    /// </summary>
    public static DateTimeOffset NextDailyRun(DateTimeOffset now, int hour, TimeZoneInfo zone)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hour);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hour, 23);
        var day = LocalDate(now, zone);
        for (var i = 0; i < 3; i++, day = day.AddDays(1))
        {
            var run = Instant(day.ToDateTime(new TimeOnly(hour, 0)), zone);
            if (run > now)
                return run;
        }
        throw new InvalidOperationException("unreachable: a daily hour always comes within two days");
    }
}
