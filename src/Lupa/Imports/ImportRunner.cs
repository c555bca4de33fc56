using System.Globalization;
using System.Text;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Imports;
using Lupa.Hosting;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.Extensions.Options;

namespace Lupa.Imports;

/// <summary>Where an import is: the phase, rows done and rows in all.</summary>
public readonly record struct ImportProgress(string Phase, long Done, long Total);

/// <summary>
/// Runs one import: the purchased-list check over the whole file, then the rows in batches. Each batch,
/// its report lines and the import's progress are one transaction, so a crash or restart resumes at
/// the first row not yet committed: never half a row, never a row twice.
/// </summary>
public sealed class ImportRunner(LupaDatabase db, SystemStore system, SubscriptionService subscriptions, IOptions<LupaOptions> options, TimeProvider clock, ILogger<ImportRunner> log)
{
    private readonly ImportStore _store = new(db);

    /// <summary>Runs a claimed import until it is done, held, or failed; returns it as stored afterwards.</summary>
    public async Task<ImportJobRow> RunAsync(ImportJobRow job, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var (file, problem) = ImportFile.Open(job.FilePath);
        if (file is null)
            return await FailAsync(job, problem!, ct);
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(job.Mapping) ?? [];
        var map = ImportColumns.Map(file.Header, mapping);
        if (!map.Contains(ImportColumns.Email))
            return await FailAsync(job, $"no column is mapped to email (the header is: {string.Join(", ", file.Header.Take(20))})", ct);
        var org = await system.GetOrganisationAsync(job.OrgId, ct) ?? throw new InvalidOperationException("organisation gone");
        var store = subscriptions.For(job.OrgId);
        var lists = new List<ListRow>();
        foreach (var id in job.ListIdArray)
        {
            var list = await store.GetListAsync(id, ct);
            if (list is null)
                return await FailAsync(job, $"list {id} no longer exists", ct);
            lists.Add(list);
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        if (job.Status == ImportStatuses.Queued)
        {
            var held = await CheckAsync(job, file, map, org, progress, ct);
            log.LogInformation("Import {ImportId} checked in {Ms} ms", job.Id, started.ElapsedMilliseconds);
            job = (await _store.GetAnyAsync(job.Id, ct))!;
            if (held)
                return job;
        }
        started.Restart();
        await ApplyAsync(job, file, map, org, lists, progress, ct);
        log.LogInformation("Import {ImportId} applied in {Ms} ms", job.Id, started.ElapsedMilliseconds);
        await _store.FinishAsync(job.Id, ImportStatuses.Done, null, Now(), ct);
        DeleteUpload(job);
        log.LogInformation("Import {ImportId} done", job.Id);
        return (await _store.GetAnyAsync(job.Id, ct))!;
    }

    private async Task<bool> CheckAsync(ImportJobRow job, ImportFile file, string?[] map, OrganisationRow org, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var (_, domains) = await subscriptions.For(org.Id).GetImportSettingsAsync(ct);
        var check = new PurchasedListCheck(domains);
        long total = 0;
        // The records are kept, parsed, for the apply phase: the CSV is read once.
        using var kept = new ImportRowFile.Writer(job.FilePath);
        // The CSV reader and the row rules on one core, the check and the kept file on the other.
        await using var parsed = new Pipe<ParsedRecord>(Parse(file, map, clock.GetUtcNow()), ct);
        await foreach (var record in parsed.ReadAllAsync(ct))
        {
            total++;
            kept.Add(record);
            // Refused rows and duplicates (skipped later) do not count in the check.
            if (record.Row is { } row)
                check.Add(row);
            if (total % 50_000 == 0)
            {
                progress?.Report(new ImportProgress("check", total, 0));
                ct.ThrowIfCancellationRequested();
                await _store.RenewLeaseAsync(job.Id, Now() + 120_000, ct);
            }
        }
        kept.Complete();
        var figures = check.Evaluate(options.Value.Imports.Thresholds);
        var exceeded = figures.Where(f => f.Exceeded).ToList();
        var reasons = exceeded.Count == 0 ? null : string.Join("; ", exceeded.Select(f =>
            string.Create(CultureInfo.InvariantCulture, $"{f.Name.Replace('_', ' ')}: {f.Share * 100:0.#}% of {f.Of} rows (threshold {f.Threshold * 100:0.#}%)")));
        await _store.SetCheckedAsync(job.Id, exceeded.Count == 0 ? ImportStatuses.Running : ImportStatuses.Held, total, file.EncodingName, JsonSerializer.Serialize(figures, JsonOptions), reasons,
            exceeded.Count == 0 ? Now() + 120_000 : null, ct);
        progress?.Report(new ImportProgress("check", total, total));
        if (exceeded.Count > 0)
        {
            log.LogWarning("Import {ImportId} held for review", job.Id);
            await subscriptions.NotifyOwnersAsync(org.Id, $"Import #{job.Id} is held for review",
                $"Your import #{job.Id} ({job.FileName}) of {org.Name} was held by the purchased-list check and waits for the operator's review.\n\nReasons: {reasons}\n\nNothing from it has been activated.", ct);
            return true;
        }
        return false;
    }

    private sealed record Entry(long Row, string Email, int Apply, string? Outcome, string? Reason);

    private async Task ApplyAsync(ImportJobRow job, ImportFile file, string?[] map, OrganisationRow org, List<ListRow> lists, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var o = options.Value.Imports;
        var suppressionsRead = Now();
        var suppressions = await _store.LoadSuppressionsAsync(job.OrgId, ct);
        var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(job.Counts) ?? [];
        foreach (var outcome in ImportOutcomes.All)
            counts.TryAdd(outcome, 0);
        var skip = job.ProcessedRows;
        var seq = await _store.NextReportSeqAsync(job.Id, ct);
        var processed = job.ProcessedRows;
        var now = clock.GetUtcNow();
        var intervalMs = Math.Max(1, 60_000 / o.RepermissionPerMinute);
        long mailsQueued = 0;
        // Re-permission mails already queued for later (by this import before a restart, or by another import of the
        // organisation) go first: the new ones follow them at the same pace instead of running beside them.
        var pacedFrom = await _store.LastPacedConfirmationAsync(job.OrgId, now.ToUnixTimeMilliseconds(), ct) is { } last ? last + intervalMs : 0;
        var listsById = lists.ToDictionary(l => l.Id);
        var language = lists[0].Language;
        var allLists = lists.Select(l => l.Id).ToArray();

        var entries = new List<Entry>(o.BatchSize);
        var toApply = new List<ImportRowToApply>(o.BatchSize);
        var overlap = db.IsPostgres;
        var inFlight = Task.CompletedTask;
        var started = 0;
        long index = 0;
        try
        {
            // The records the check kept; without them (an import that resumes on a node that lost them) the CSV again.
            await using var records = new Pipe<ParsedRecord>(ImportRowFile.TryRead(job.FilePath) ?? Parse(file, map, now), ct);
            await foreach (var record in records.ReadAllAsync(ct))
            {
                index++;
                if (index <= skip)
                {
                    if (index % 50_000 == 0)
                        await _store.RenewLeaseAsync(job.Id, Now() + 120_000, ct);
                    continue;
                }
                if (record.Row is not { } row)
                {
                    entries.Add(new Entry(record.Line, record.Email, -1, record.Outcome, record.Reason));
                }
                else
                {
                    // Without suppressions every row goes to every list (one shared array, read only).
                    var hash = suppressions.Count == 0 ? "" : SuppressionKey.For(db.SuppressionKey, row.Address);
                    var global = suppressions.Count == 0 ? null : suppressions.GetValueOrDefault((hash, 0L));
                    var open = suppressions.Count == 0 ? allLists
                        : global is null ? lists.Where(l => !suppressions.ContainsKey((hash, l.Id))).Select(l => l.Id).ToArray() : [];
                    if (open.Length == 0)
                    {
                        var reason = global ?? suppressions.GetValueOrDefault((hash, lists[0].Id)) ?? "suppressed";
                        entries.Add(new Entry(record.Line, record.Email, -1, ImportOutcomes.SkippedSuppressed, reason));
                    }
                    else
                    {
                        entries.Add(new Entry(record.Line, record.Email, toApply.Count, null, null));
                        toApply.Add(new ImportRowToApply(row, open, language));
                    }
                }
                if (entries.Count >= o.BatchSize)
                    await FlushAsync();
            }
            if (entries.Count > 0 || (started == 0 && processed == 0))
                await FlushAsync();
            await inFlight;
        }
        catch
        {
            // A batch still running fails with this one (it waits for the cancellation or for a batch that failed); observe it.
            await inFlight.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            throw;
        }

        // Starts a batch. On PostgreSQL it runs while the one before it finishes (two transactions, the other core);
        // it writes its report and progress and commits only after that one committed, so batches commit in order.
        async Task FlushAsync()
        {
            ct.ThrowIfCancellationRequested();
            var batchEntries = entries;
            var batchRows = toApply;
            entries = new List<Entry>(o.BatchSize);
            toApply = new List<ImportRowToApply>(o.BatchSize);
            // People erased, unsubscribed or suppressed while the import runs are skipped from the next batch on. Entries
            // are read again from a while before the last read: one written then may have committed only since.
            var read = Now();
            await _store.AddSuppressionsSinceAsync(suppressions, job.OrgId, suppressionsRead - 120_000, ct);
            suppressionsRead = read;
            started++;
            var previous = inFlight;
            var batch = ApplyOneAsync(batchEntries, batchRows, previous);
            if (!overlap)
            {
                await batch;
                return;
            }
            try
            {
                await previous;
            }
            catch
            {
                // The batch after a failed one fails too (it waits for it before it commits); observe it.
                await batch.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                throw;
            }
            inFlight = batch;
        }

        async Task ApplyOneAsync(List<Entry> batchEntries, List<ImportRowToApply> batchRows, Task previous)
        {
            var batchNow = Now();
            Func<long, long, ImportRow, OutboxMessage>? mail = job.NoEvidencePolicy == NoEvidencePolicies.Repermission
                ? (subscriptionId, requestAt, r) =>
                {
                    var m = subscriptions.ConfirmationMail(org, listsById[job.ListIdArray[0]], r.Address.Value, r.Name, subscriptionId, requestAt);
                    return m with { DueAt = Math.Max(batchNow, pacedFrom) + ((Interlocked.Increment(ref mailsQueued) - 1) * intervalMs) };
                }
                : null;
            long after = 0;
            await _store.ApplyBatchAsync(job, batchRows, mail, previous, results =>
            {
                // Runs once the batch before has committed, so the report, counts and progress follow the file's order.
                var body = new StringBuilder(batchEntries.Count * 64);
                if (seq == 0)
                    body.Append("row,email,outcome,reason\n");
                AppendReport(body, batchEntries, results, counts);
                processed += batchEntries.Count;
                after = processed;
                return new BatchReport(seq++, body.ToString(), processed, JsonSerializer.Serialize(counts));
            }, batchNow, ct);
            progress?.Report(new ImportProgress("apply", after, job.TotalRows));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void AppendReport(StringBuilder body, List<Entry> entries, IReadOnlyList<(string Outcome, string Reason)> results, Dictionary<string, long> counts)
    {
        foreach (var e in entries)
        {
            var (outcome, reason) = e.Apply >= 0 ? results[e.Apply] : (e.Outcome!, e.Reason!);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            body.Append(CultureInfo.InvariantCulture, $"{e.Row}").Append(',').Append(CsvText.Field(e.Email)).Append(',').Append(outcome).Append(',').Append(CsvText.Field(reason)).Append('\n');
        }
    }

    private async Task<ImportJobRow> FailAsync(ImportJobRow job, string problem, CancellationToken ct)
    {
        log.LogWarning("Import {ImportId} failed: {Problem}", job.Id, problem);
        await _store.FinishAsync(job.Id, ImportStatuses.Failed, problem, Now(), ct);
        DeleteUpload(job);
        return (await _store.GetAnyAsync(job.Id, ct))!;
    }

    /// <summary>
    /// The uploaded file holds personal data: once an import has ended (done, failed, rejected) only its
    /// report stays, and the file is deleted.
    /// </summary>
    public static void DeleteUpload(ImportJobRow job)
    {
        try
        {
            File.Delete(job.FilePath);
            ImportRowFile.Delete(job.FilePath);
        }
        catch (IOException)
        {
            // already gone, or on a volume this node cannot reach; nothing else to do
        }
    }

    /// <summary>
    /// Every record of the file after the row rules, in order: the row to apply, or its outcome
    /// (malformed, invalid, or a duplicate of an address earlier in the file).
    /// </summary>
    private static IEnumerable<ParsedRecord> Parse(ImportFile file, string?[] map, DateTimeOffset now)
    {
        var seen = new HashSet<ulong>();
        foreach (var record in file.DataRecords())
        {
            if (record.Broken)
            {
                yield return new ParsedRecord(record.Row, null, ImportOutcomes.SkippedMalformed, "broken quoting", Clean(RawEmail(record.Fields, map)));
                continue;
            }
            var (row, refusal) = ImportRowRules.Read(record.Row, record.Fields, map, now);
            if (row is null)
                yield return new ParsedRecord(record.Row, null, refusal!.Outcome, refusal.Reason, Clean(RawEmail(record.Fields, map)));
            else if (!seen.Add(AddressKey(row.Address.Value)))
                yield return new ParsedRecord(record.Row, null, ImportOutcomes.SkippedDuplicate, "the address appears earlier in the file", Clean(row.Address.Value));
            else
                yield return new ParsedRecord(record.Row, row, null, null, Clean(row.Address.Value));
        }
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    // 64-bit FNV-1a of the lower-cased address: enough to find duplicates in a file without keeping every address in memory.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static ulong AddressKey(string address)
    {
        var h = 14695981039346656037UL;
        foreach (var c in address)
        {
            h ^= char.ToLowerInvariant(c);
            h *= 1099511628211UL;
        }
        return h;
    }

    private static string RawEmail(string[] fields, string?[] map)
    {
        var i = Array.IndexOf(map, ImportColumns.Email);
        return i >= 0 && i < fields.Length ? fields[i] : "";
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static string Clean(string s)
    {
        if (s.Length > 320)
            s = s[..320];
        foreach (var c in s)
        {
            if (char.IsControl(c))
                return string.Create(s.Length, s, (span, text) =>
                {
                    for (var i = 0; i < text.Length; i++)
                        span[i] = char.IsControl(text[i]) ? ' ' : text[i];
                });
        }
        return s;
    }

}
