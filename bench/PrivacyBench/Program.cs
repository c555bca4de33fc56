// Access report and erasure latency with many subscribers (issue "data subject's rights"): seeds N subscribers, each
// confirmed on a list with a consent grant, a sent campaign message and an open and a click kept with the person
// (individual tracking), then times, for 100 people picked
// at random, the reads of the access report (the same store calls PrivacyReports makes) and the erasure transaction
// (SubscriberErasure.EraseAsync). Prints the medians and the time of one file scrub afterwards.
//
//   dotnet run -c Release --project bench/PrivacyBench -- sqlite <path.db> <subscribers>
//   dotnet run -c Release --project bench/PrivacyBench -- postgres "<connection string>" <subscribers>
using System.Diagnostics;
using Dapper;
using Lupa.Domain;
using Lupa.Storage;

var provider = LupaDatabase.ParseProvider(args[0]);
var cs = provider == DatabaseProvider.Sqlite ? $"Data Source={args[1]}" : args[1];
var n = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
using var db = new LupaDatabase(provider, cs) { SuppressionKey = new byte[32] };
db.Migrate();
var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
long orgId, listId;
var sw = Stopwatch.StartNew();
await using (var tx = await db.BeginWriteAsync())
{
    var c = tx.Connection;
    orgId = await c.ExecuteScalarAsync<long>("INSERT INTO organisations (slug, name, created_at) VALUES ('bench', 'Bench', @now) RETURNING id", new { now }, tx.Transaction);
    listId = await c.ExecuteScalarAsync<long>(
        "INSERT INTO lists (org_id, slug, name, description, language, opt_in_mode, purpose, legal_basis, created_at) VALUES (@orgId, 'news', 'News', '', 'en', 'double', 'News', 'consent', @now) RETURNING id",
        new { orgId, now }, tx.Transaction);
    var campaignId = await c.ExecuteScalarAsync<long>(
        """
        INSERT INTO campaigns (org_id, name, list_ids, segment, from_name, from_address, subject, preheader, body, body_format, status, created_at, updated_at)
        VALUES (@orgId, 'Bench', '[]', '', 'B', 'b@bench.test', 'Hello', '', 'Hi', 'markdown', 'sent', @now, @now) RETURNING id
        """, new { orgId, now }, tx.Transaction);
    var numbers = db.IsPostgres
        ? "SELECT generate_series(1, @n) AS i"
        : "WITH RECURSIVE x(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM x WHERE i < @n) SELECT i FROM x";
    var text = db.IsPostgres ? "CAST(i AS text)" : "i";
    var p = new { orgId, listId, campaignId, now, n };
    await c.ExecuteAsync($"INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at) SELECT @orgId, 'p' || {text} || '@example.com', 'Person ' || {text}, 'en', '{{\"city\":\"Turku\"}}', @now, @now FROM ({numbers}) q", p, tx.Transaction, commandTimeout: 3600);
    await c.ExecuteAsync("INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at) SELECT @orgId, id, @listId, 'confirmed', @now, @now FROM subscribers WHERE org_id = @orgId", p, tx.Transaction, commandTimeout: 3600);
    await c.ExecuteAsync("INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, source, recorded_at) SELECT @orgId, id, @listId, 'grant', 'form', @now, 'https://bench.test/join', @now FROM subscribers WHERE org_id = @orgId", p, tx.Transaction, commandTimeout: 3600);
    await c.ExecuteAsync("INSERT INTO campaign_recipients (campaign_id, subscriber_id, state, sent_at) SELECT @campaignId, id, 1, @now FROM subscribers WHERE org_id = @orgId", p, tx.Transaction, commandTimeout: 3600);
    // An open and a click each, kept with the person (as under individual tracking).
    await c.ExecuteAsync("INSERT INTO tracking_events (org_id, campaign_id, subscriber_id, kind, link_id, machine, at) SELECT @orgId, @campaignId, id, k, 0, 0, @now FROM subscribers, (SELECT 1 AS k UNION ALL SELECT 2) kinds WHERE org_id = @orgId", p, tx.Transaction, commandTimeout: 3600);
    await tx.CommitAsync();
}
if (db.IsPostgres)
{
    await using var c = await db.OpenAsync();
    await c.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 3600);
}
Console.WriteLine($"seeded {n} subscribers with a subscription, a consent record and a campaign message each in {sw.Elapsed.TotalSeconds:F1} s");

var random = new Random(7);
var people = Enumerable.Range(0, 100).Select(_ => random.Next(1, n + 1)).Distinct().Take(100).ToList();
var store = new OrganisationStore(db, orgId);
var requests = new PrivacyRequestStore(db, orgId);
var access = new List<double>();
var erase = new List<double>();
foreach (var i in people)
{
    var email = $"p{i}@example.com";
    sw.Restart();
    await store.GetPrivacyNoticeAsync();
    var s = (await store.FindSubscriberAsync(email))!;
    await store.ListListsAsync();
    await store.ListSubscriptionsAsync(s.Id);
    await store.ListConsentRecordsAsync(s.Id);
    await requests.ListMessagesSentAsync(s.Id);
    await new TrackingStore(db, orgId).PersonEventsAsync(s.Id);
    await new PrivacyRecipientStore(db, orgId).ListAsync();
    access.Add(sw.Elapsed.TotalMilliseconds);
    sw.Restart();
    var counts = await new SubscriberErasure(db, orgId).EraseAsync(email, SuppressionKey.For(db.SuppressionKey, EmailAddress.Parse(email).Value!), now);
    erase.Add(sw.Elapsed.TotalMilliseconds);
    if (counts.Subscribers != 1 || counts.ConsentRecords != 1 || counts.CampaignRecipients != 1)
        throw new InvalidOperationException("the erasure missed a row");
    await using (var check = await db.OpenAsync())
    {
        if (await check.ExecuteScalarAsync<long>("SELECT count(*) FROM tracking_events WHERE subscriber_id = @Id", new { s.Id }) != 0)
            throw new InvalidOperationException("the erasure left tracking events");
    }
}
sw.Restart();
await SubscriberErasure.ScrubFilesAsync(db);
var scrub = sw.Elapsed.TotalMilliseconds;
static double Median(List<double> xs) { xs.Sort(); return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2; }
Console.WriteLine($"{args[0]} subscribers={n} people={people.Count} access_median_ms={Median(access):F2} access_max_ms={access.Max():F2} erasure_median_ms={Median(erase):F2} erasure_max_ms={erase.Max():F2} scrub_ms={scrub:F0}");
