using System.Security.Cryptography;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Imports;
using Lupa.Hosting;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.Extensions.Options;

namespace Lupa.Imports;

/// <summary>What an importer asks for.</summary>
public sealed record ImportRequest(
    long OrgId, IReadOnlyList<string> Lists, string FileName, IReadOnlyDictionary<string, string>? Mapping, string UpdateMode, bool Attested, string AttestedBy);

/// <summary>Accepts import files: stores the upload, checks that it can be read at all, and queues the job.</summary>
public sealed class ImportService(LupaDatabase db, SubscriptionService subscriptions, Lupa.Privacy.AuditTrail audit, IOptions<LupaOptions> options, TimeProvider clock)
{
    /// <summary>The statement every importer confirms; it is stored with the import.</summary>
    public const string Attestation =
        "I confirm that this list is our organisation's own: its people gave us their consent or are our customers, it was not bought, rented or scraped, and the consent evidence in it is true.";

    /// <summary>Where uploads are kept.</summary>
    public string Folder => Path.Combine(Path.GetFullPath(options.Value.DataPath), "imports");

    /// <summary>Stores the file and queues the import, or says which field is wrong (nothing is stored then).</summary>
    public async Task<Outcome<ImportJobRow>> CreateAsync(ImportRequest r, Stream content, CancellationToken ct)
    {
        if (!r.Attested)
            return Outcome<ImportJobRow>.Fail("attestation", "confirm the attestation: " + Attestation);
        if (r.UpdateMode is not ("update" or "keep"))
            return Outcome<ImportJobRow>.Fail("updateMode", "must be 'update' or 'keep'");
        if (r.Lists.Count == 0)
            return Outcome<ImportJobRow>.Fail("lists", "name at least one list");
        foreach (var (from, to) in r.Mapping ?? new Dictionary<string, string>())
        {
            if (ImportColumns.TargetProblem(to) is { } tp)
                return Outcome<ImportJobRow>.Fail("mapping", $"column '{from}': {tp}");
        }
        var store = subscriptions.For(r.OrgId);
        var ids = new List<long>();
        foreach (var l in r.Lists)
        {
            var list = long.TryParse(l, out var id) ? await store.GetListAsync(id, ct) : await store.FindListAsync(l, ct);
            if (list is null)
                return Outcome<ImportJobRow>.Fail("lists", $"no list '{l}' in this organisation");
            ids.Add(list.Id);
        }
        var name = Path.GetFileName(r.FileName);
        if (TextRules.SingleLineProblem(name, 255) is not null)
            name = "upload.csv";
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, Guid.NewGuid().ToString("N") + ".csv");
        long bytes;
        string sha;
        var max = options.Value.Imports.MaxUploadMegabytes * 1024L * 1024L;
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int n;
                bytes = 0;
                while ((n = await content.ReadAsync(buffer, ct)) > 0)
                {
                    bytes += n;
                    if (bytes > max)
                        throw new InvalidDataException($"the file is larger than {options.Value.Imports.MaxUploadMegabytes} MB");
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            var (opened, problem) = ImportFile.Open(path);
            if (opened is null)
                throw new InvalidDataException(problem);
            if (!ImportColumns.Map(opened.Header, r.Mapping).Contains(ImportColumns.Email))
                throw new InvalidDataException($"no column is mapped to email (the header is: {string.Join(", ", opened.Header.Take(20))}); name one 'email' or map it");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            File.Delete(path);
            return Outcome<ImportJobRow>.Fail("file", e.Message);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        var (policy, _) = await store.GetImportSettingsAsync(ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var job = new ImportJobRow
        {
            OrgId = r.OrgId,
            ListIds = string.Join(",", ids.Distinct()),
            FileName = name,
            FilePath = path,
            FileBytes = bytes,
            FileSha256 = sha,
            Mapping = JsonSerializer.Serialize(r.Mapping ?? new Dictionary<string, string>()),
            UpdateMode = r.UpdateMode,
            NoEvidencePolicy = policy,
            Attestation = Attestation,
            AttestedBy = r.AttestedBy,
            AttestedAt = now,
            Status = ImportStatuses.Queued,
            CreatedAt = now,
        };
        var importStore = new ImportStore(db);
        var jobId = await importStore.CreateAsync(job, ct);
        var created = (await importStore.GetAnyAsync(jobId, ct))!;
        await audit.RecordAsync(r.OrgId, r.AttestedBy, Lupa.Domain.Privacy.AuditActions.ImportCreate, "import:" + jobId,
            new { lists = created.ListIdArray, bytes = created.FileBytes, sha256 = created.FileSha256, updateMode = created.UpdateMode }, ct);
        return Outcome<ImportJobRow>.Ok(created);
    }
}
