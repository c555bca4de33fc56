using Dapper;

namespace Lupa.Storage;

/// <summary>
/// Data that stands above organisations: settings, the organisations themselves, login lookups,
/// API key lookups and the mail catcher. Everything inside an organisation goes through
/// <see cref="OrganisationStore"/>, which cannot be made without an organisation id.
/// </summary>
public sealed class SystemStore(LupaDatabase db)
{
    /// <summary>Reads a setting, or null.</summary>
    public async Task<string?> GetSettingAsync(string name, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE name = @name", new { name });
    }

    /// <summary>Stores a setting unless one of that name exists; returns the value in force.</summary>
    public async Task<string> GetOrAddSettingAsync(string name, string value, CancellationToken ct = default)
    {
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            await tx.Connection.ExecuteAsync(
                "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
                new { name, value }, tx.Transaction);
            await tx.CommitAsync(ct);
        }
        return (await GetSettingAsync(name, ct))!;
    }

    /// <summary>Creates an organisation with its owner and first API key, in one transaction.</summary>
    public async Task<long> CreateOrganisationAsync(string slug, string name, PersonToCreate owner, string apiKeyPrefix, string apiKeyHash, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var orgId = await tx.Connection.ExecuteScalarAsync<long>(
            "INSERT INTO organisations (slug, name, created_at) VALUES (@slug, @name, @now) RETURNING id",
            new { slug, name, now }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO people (org_id, email, name, role, password_hash, created_at) VALUES (@orgId, @Email, @Name, @Role, @PasswordHash, @now)",
            new { orgId, owner.Email, owner.Name, owner.Role, owner.PasswordHash, now }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO api_keys (org_id, name, prefix, key_hash, created_at) VALUES (@orgId, 'default', @apiKeyPrefix, @apiKeyHash, @now)",
            new { orgId, apiKeyPrefix, apiKeyHash, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return orgId;
    }

    /// <summary>True when an organisation has that slug.</summary>
    public async Task<bool> OrganisationSlugExistsAsync(string slug, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM organisations WHERE slug = @slug", new { slug }) > 0;
    }

    /// <summary>An organisation by slug, or null.</summary>
    public async Task<OrganisationRow?> FindOrganisationAsync(string slug, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<OrganisationRow>("SELECT * FROM organisations WHERE slug = @slug", new { slug });
    }

    /// <summary>An organisation by id, or null.</summary>
    public async Task<OrganisationRow?> GetOrganisationAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<OrganisationRow>("SELECT * FROM organisations WHERE id = @id", new { id });
    }

    /// <summary>Every organisation, by name.</summary>
    public async Task<IReadOnlyList<OrganisationRow>> ListOrganisationsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<OrganisationRow>("SELECT * FROM organisations ORDER BY name")).AsList();
    }

    /// <summary>The person who logs in with this address, or null.</summary>
    public async Task<PersonRow?> FindPersonByEmailAsync(string email, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PersonRow>("SELECT * FROM people WHERE lower(email) = lower(@email)", new { email });
    }

    /// <summary>A person by id, or null (the admin UI re-reads the signed-in person on every request).</summary>
    public async Task<PersonRow?> GetPersonAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PersonRow>("SELECT * FROM people WHERE id = @id", new { id });
    }

    /// <summary>True when an operator account exists.</summary>
    public async Task<bool> OperatorExistsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM people WHERE org_id IS NULL") > 0;
    }

    /// <summary>Creates the operator, or sets a new password for the one with that address.</summary>
    public async Task SetOperatorAsync(string email, string passwordHash, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var updated = await tx.Connection.ExecuteAsync(
            "UPDATE people SET password_hash = @passwordHash, disabled_at = NULL WHERE org_id IS NULL AND lower(email) = lower(@email)",
            new { email, passwordHash }, tx.Transaction);
        if (updated == 0)
        {
            await tx.Connection.ExecuteAsync(
                "INSERT INTO people (org_id, email, name, role, password_hash, created_at) VALUES (NULL, @email, 'Operator', 'operator', @passwordHash, @now)",
                new { email, passwordHash, now }, tx.Transaction);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The unrevoked API key with this hash (its id and organisation), or null.</summary>
    public async Task<ApiKeyRow?> FindApiKeyAsync(string keyHash, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ApiKeyRow>(
            "SELECT id, org_id, name, prefix, created_at, revoked_at FROM api_keys WHERE key_hash = @keyHash AND revoked_at IS NULL", new { keyHash });
    }

    /// <summary>Stores several caught messages in one transaction.</summary>
    public async Task AddCaughtMessagesAsync(IReadOnlyList<(long ReceivedAt, string MailFrom, string RcptTo, string Subject, string? MessageId, byte[] Mime)> messages, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO caught_messages (received_at, mail_from, rcpt_to, subject, message_id, mime) VALUES (@ReceivedAt, @MailFrom, @RcptTo, @Subject, @MessageId, @Mime)",
            messages.Select(m => new { m.ReceivedAt, m.MailFrom, m.RcptTo, m.Subject, m.MessageId, m.Mime }), tx.Transaction);
        await tx.CommitAsync(ct);
    }

    private const string CaughtSelect = """
        SELECT m.id, m.received_at, m.mail_from, m.rcpt_to, m.subject, m.message_id, m.mime, o.org_id
        FROM caught_messages m LEFT JOIN outbox o ON o.message_id = m.message_id
        """;

    /// <summary>The newest caught messages; for one organisation when orgId is given (matched through the outbox).</summary>
    public async Task<IReadOnlyList<CaughtMessageRow>> ListCaughtMessagesAsync(long? orgId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var sql = CaughtSelect + (orgId is null ? "" : " WHERE o.org_id = @orgId") + " ORDER BY m.id DESC LIMIT @limit";
        return (await c.QueryAsync<CaughtMessageRow>(sql, new { orgId, limit })).AsList();
    }

    /// <summary>One caught message, or null; scoped to an organisation when orgId is given.</summary>
    public async Task<CaughtMessageRow?> GetCaughtMessageAsync(long id, long? orgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var sql = CaughtSelect + " WHERE m.id = @id" + (orgId is null ? "" : " AND o.org_id = @orgId");
        return await c.QuerySingleOrDefaultAsync<CaughtMessageRow>(sql, new { id, orgId });
    }
}

/// <summary>ASP.NET Core Data Protection keys kept in the database, so every node and every restart shares them.</summary>
public sealed class DataProtectionKeyStore(LupaDatabase db)
{
    /// <summary>Every stored key's XML.</summary>
    public IReadOnlyList<string> All()
    {
        using var c = db.OpenAsync().GetAwaiter().GetResult();
        return c.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at").AsList();
    }

    /// <summary>Stores a key.</summary>
    public void Add(string name, string xml, long now)
    {
        var tx = db.BeginWriteAsync().GetAwaiter().GetResult();
        try
        {
            tx.Connection.Execute("INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
                new { name, xml, now }, tx.Transaction);
            tx.Transaction.Commit();
        }
        finally
        {
            tx.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>A person about to be created.</summary>
public sealed record PersonToCreate(string Email, string Name, string Role, string PasswordHash);
