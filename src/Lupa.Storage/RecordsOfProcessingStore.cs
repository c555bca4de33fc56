using Dapper;

namespace Lupa.Storage;

/// <summary>What an organisation's data says about its processing, for the records of processing: counts and kinds, no person.</summary>
public sealed class ProcessingFacts
{
    /// <summary>Subscribers held.</summary>
    public long Subscribers { get; init; }

    /// <summary>Subscribers whose processing is restricted.</summary>
    public long Restricted { get; init; }

    /// <summary>Entries on the suppression list.</summary>
    public long Suppressions { get; init; }

    /// <summary>Data-subject requests held.</summary>
    public long Requests { get; init; }

    /// <summary>Imports made.</summary>
    public long Imports { get; init; }

    /// <summary>Bounce and complaint events held.</summary>
    public long BounceEvents { get; init; }

    /// <summary>Campaigns made.</summary>
    public long Campaigns { get; init; }

    /// <summary>People of the organisation with a login.</summary>
    public long Staff { get; init; }

    /// <summary>Sender domains with a DKIM key.</summary>
    public long SenderDomains { get; init; }

    /// <summary>The attribute names subscribers carry (at most 100).</summary>
    public IReadOnlyList<string> AttributeKeys { get; init; } = [];

    /// <summary>The legal bases transactional mail was sent under, as logged in the outbox.</summary>
    public IReadOnlyList<string> TransactionalBases { get; init; } = [];
}

/// <summary>Reads the facts of one organisation's processing (bound to it like <see cref="OrganisationStore"/>).</summary>
public sealed class RecordsOfProcessingStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    /// <summary>Counts and kinds of what the organisation holds.</summary>
    public async Task<ProcessingFacts> FactsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var counts = await c.QuerySingleAsync<(long Subscribers, long Restricted, long Suppressions, long Requests, long Imports, long BounceEvents, long Campaigns, long Staff, long SenderDomains)>(
            """
            SELECT (SELECT count(*) FROM subscribers WHERE org_id = @OrgId),
                   (SELECT count(*) FROM subscribers WHERE org_id = @OrgId AND restricted_at IS NOT NULL),
                   (SELECT count(*) FROM suppressions WHERE org_id = @OrgId),
                   (SELECT count(*) FROM privacy_requests WHERE org_id = @OrgId),
                   (SELECT count(*) FROM imports WHERE org_id = @OrgId),
                   (SELECT count(*) FROM bounce_events WHERE org_id = @OrgId),
                   (SELECT count(*) FROM campaigns WHERE org_id = @OrgId),
                   (SELECT count(*) FROM people WHERE org_id = @OrgId AND disabled_at IS NULL),
                   (SELECT count(*) FROM sender_domains WHERE org_id = @OrgId)
            """, new { OrgId });
        var keys = db.IsPostgres
            ? "SELECT DISTINCT k FROM subscribers s, jsonb_object_keys(CASE WHEN s.attributes LIKE '{%' THEN s.attributes::jsonb ELSE '{}'::jsonb END) k WHERE s.org_id = @OrgId ORDER BY 1 LIMIT 100"
            : "SELECT DISTINCT j.key FROM subscribers s, json_each(CASE WHEN json_valid(s.attributes) THEN s.attributes ELSE '{}' END) j WHERE s.org_id = @OrgId ORDER BY 1 LIMIT 100";
        var attributeKeys = (await c.QueryAsync<string>(new CommandDefinition(keys, new { OrgId }, cancellationToken: ct))).AsList();
        var bases = (await c.QueryAsync<string>(
            "SELECT DISTINCT legal_basis FROM outbox WHERE org_id = @OrgId AND purpose = 'transactional' AND legal_basis IS NOT NULL ORDER BY 1", new { OrgId })).AsList();
        return new ProcessingFacts
        {
            Subscribers = counts.Subscribers,
            Restricted = counts.Restricted,
            Suppressions = counts.Suppressions,
            Requests = counts.Requests,
            Imports = counts.Imports,
            BounceEvents = counts.BounceEvents,
            Campaigns = counts.Campaigns,
            Staff = counts.Staff,
            SenderDomains = counts.SenderDomains,
            AttributeKeys = attributeKeys,
            TransactionalBases = bases,
        };
    }
}
