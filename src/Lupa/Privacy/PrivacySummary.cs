using System.Globalization;
using System.Net;
using System.Text;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Outbox;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>
/// The daily summary to each organisation's privacy officers (its owners when it has none) of the requests that
/// are overdue or due within seven days. One mail per person and day: its Message-ID names the day, and the outbox
/// takes a Message-ID once, so several nodes or a restart never send it twice. Nothing is sent when nothing is due.
/// </summary>
public sealed class PrivacySummary(LupaDatabase db, SystemStore system, PublicLinks links, SubscriptionService subscriptions, OutboxSignal outboxSignal,
    IOptions<LupaOptions> options, TimeProvider clock, ILogger<PrivacySummary> log)
{
    private readonly TimeZoneInfo _zone = options.Value.Privacy.Zone();

    /// <summary>
    /// Queues the summaries of the day of <paramref name="now"/>, as of then; returns how many mails were queued. The mail
    /// itself is queued at the system clock's time.
    /// </summary>
    public async Task<int> SendAsync(DateTimeOffset now, CancellationToken ct)
    {
        var today = PrivacyDeadlines.LocalDate(now, _zone);
        var dueSoonTo = PrivacyDeadlines.EndOfDay(today.AddDays(PrivacyDeadlines.DueSoonDays), _zone).ToUnixTimeMilliseconds();
        var queued = 0;
        foreach (var org in await system.ListOrganisationsAsync(ct))
        {
            var store = new PrivacyRequestStore(db, org.Id);
            var due = await store.ListAsync(new PrivacyRequestFilter(null, null, dueSoonTo, 500), ct);
            if (due.Count == 0)
                continue;
            var people = (await new OrganisationStore(db, org.Id).ListPeopleAsync(ct)).Where(p => p.DisabledAt is null).ToList();
            var to = people.Where(p => p.Role == Roles.PrivacyOfficer).ToList();
            if (to.Count == 0)
                to = people.Where(p => p.Role == Roles.Owner).ToList();
            foreach (var person in to)
            {
                var mail = Mail(org, person, due, today, now);
                if (await store.EnqueueOnceAsync(mail, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct))
                    queued++;
            }
        }
        if (queued > 0)
        {
            outboxSignal.Notify();
            log.LogInformation("Daily privacy request summary: {Count} mails queued", queued);
        }
        return queued;
    }

    private OutboxMessage Mail(OrganisationRow org, PersonRow person, IReadOnlyList<PrivacyRequestRow> due, DateOnly today, DateTimeOffset now)
    {
        var rows = due.Select(r =>
        {
            var date = PrivacyDeadlines.LocalDate(DateTimeOffset.FromUnixTimeMilliseconds(r.EffectiveDueAt), _zone);
            var left = PrivacyDeadlines.DaysLeft(date, today);
            var when = left < 0 ? $"{-left} day{(left == -1 ? "" : "s")} overdue" : left == 0 ? "due today" : $"due in {left} day{(left == 1 ? "" : "s")}";
            return (Request: r, Due: date, When: when, Overdue: left < 0);
        }).ToList();
        var overdue = rows.Count(r => r.Overdue);
        var soon = rows.Count - overdue;
        var register = $"{links.Base}/admin/o/{Uri.EscapeDataString(org.Slug)}/privacy-requests";
        var subject = $"Data protection requests of {org.Name}: {overdue} overdue, {soon} due within {PrivacyDeadlines.DueSoonDays} days";
        var text = new StringBuilder($"Requests of {org.Name} that need an answer, as of {today:yyyy-MM-dd}:\n\n");
        var html = new StringBuilder($"""<!DOCTYPE html><html lang="en"><body style="font-family:sans-serif"><p>Requests of {WebUtility.HtmlEncode(org.Name)} that need an answer, as of {today:yyyy-MM-dd}:</p><table cellpadding="4" style="border-collapse:collapse"><tr><th align="left">Request</th><th align="left">Type</th><th align="left">Received</th><th align="left">Due</th><th align="left"></th><th align="left">Status</th></tr>""");
        foreach (var (r, date, when, isOverdue) in rows)
        {
            var received = PrivacyDeadlines.LocalDate(DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), _zone);
            var url = $"{register}/{r.Id.ToString(CultureInfo.InvariantCulture)}";
            text.Append(CultureInfo.InvariantCulture, $"#{r.Id} {r.Type}, received {received:yyyy-MM-dd}, due {date:yyyy-MM-dd} ({when}), {r.Status.Replace('_', ' ')}: {url}\n");
            html.Append(CultureInfo.InvariantCulture, $"""<tr><td><a href="{WebUtility.HtmlEncode(url)}">#{r.Id}</a></td><td>{r.Type}</td><td>{received:yyyy-MM-dd}</td><td>{date:yyyy-MM-dd}</td><td style="color:{(isOverdue ? "#b3261e" : "#a15c00")}">{when}</td><td>{r.Status.Replace('_', ' ')}</td></tr>""");
        }
        text.Append($"\nThe register: {register}\n");
        html.Append($"""</table><p><a href="{WebUtility.HtmlEncode(register)}">The register</a></p></body></html>""");
        var from = subscriptions.SystemFromAddress();
        var messageId = string.Create(CultureInfo.InvariantCulture, $"privacy-summary.{org.Id}.{person.Id}.{today:yyyyMMdd}@{links.MailDomain}");
        var (_, bytes) = MailComposer.Write(new MailSpec
        {
            FromName = "Lupa",
            FromAddress = from,
            To = person.Email,
            ToName = person.Name,
            Subject = subject,
            Text = text.ToString(),
            Html = html.ToString(),
            Language = Languages.English,
            MessageIdDomain = links.MailDomain,
            MessageId = messageId,
        });
        return new OutboxMessage("privacy_summary", messageId, from, person.Email, bytes);
    }
}

/// <summary>Runs <see cref="PrivacySummary"/> once a day at <c>Lupa:Privacy:SummaryHour</c>, and at start when today's hour has passed.</summary>
public sealed class PrivacySummaryWorker(PrivacySummary summary, IOptions<LupaOptions> options, TimeProvider clock, ILogger<PrivacySummaryWorker> log) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.Privacy;
        return DailySchedule.RunAsync(clock, o.SummaryHour, o.Zone(), (now, ct) => summary.SendAsync(now, ct), log, "The daily privacy request summary", stoppingToken);
    }
}
