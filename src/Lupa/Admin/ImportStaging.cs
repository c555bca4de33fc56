using System.Security.Cryptography;
using Lupa.Hosting;

namespace Lupa.Admin;

/// <summary>
/// Uploads waiting for the admin UI's column-mapping step. Each is a file under
/// <c>{DataPath}/imports/staged</c> named by its organisation and a random token of 32 hex digits; the
/// token travels in the mapping form, and nothing else of a path ever comes from the browser.
/// </summary>
public static class ImportStaging
{
    /// <summary>How long an upload waits for its mapping step before it is swept away.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    /// <summary>The folder of staged uploads.</summary>
    public static string Folder(LupaOptions options) => Path.Combine(Path.GetFullPath(options.DataPath), "imports", "staged");

    /// <summary>True for exactly 32 lower-case hex digits (nothing else: no dots, slashes, or a trailing line break).</summary>
    public static bool IsToken(string? token)
    {
        if (token is null || token.Length != 32)
            return false;
        foreach (var c in token)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
                return false;
        }
        return true;
    }

    /// <summary>The staged file of an organisation's token, or null for a malformed token.</summary>
    public static string? PathOf(LupaOptions options, long orgId, string? token) =>
        IsToken(token) ? Path.Combine(Folder(options), $"{orgId}-{token}.csv") : null;

    /// <summary>Copies an upload to a new staged file; throws <see cref="InvalidDataException"/> (and keeps nothing) when it is larger than allowed.</summary>
    public static async Task<(string Token, string Path)> SaveAsync(LupaOptions options, long orgId, Stream content, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder(options));
        var token = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var path = PathOf(options, orgId, token)!;
        var max = options.Imports.MaxUploadMegabytes * 1024L * 1024L;
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long bytes = 0;
            int n;
            while ((n = await content.ReadAsync(buffer, ct)) > 0)
            {
                bytes += n;
                if (bytes > max)
                    throw new InvalidDataException($"the file is larger than {options.Imports.MaxUploadMegabytes} MB");
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        return (token, path);
    }

    /// <summary>Deletes staged uploads older than <see cref="Lifetime"/> (abandoned mapping steps).</summary>
    public static void Sweep(LupaOptions options, DateTimeOffset now)
    {
        var folder = Folder(options);
        if (!Directory.Exists(folder))
            return;
        foreach (var file in Directory.EnumerateFiles(folder, "*.csv"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) < now.UtcDateTime - Lifetime)
                    File.Delete(file);
            }
            catch (IOException)
            {
                // Another node swept it, or it is in use: the next sweep tries again.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
