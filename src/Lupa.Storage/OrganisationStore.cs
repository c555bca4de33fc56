using System.Data.Common;
using Dapper;
using Lupa.Domain;

namespace Lupa.Storage;

/// <summary>
/// Everything inside one organisation. The organisation id is fixed when the store is made and
/// every statement filters on it, so one organisation's key can never read or change another's rows.
/// </summary>
public sealed class OrganisationStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    private const string ListSelect = """
        SELECT l.*, w.version AS wording_version, w.text AS wording_text, w.hash AS wording_hash
        FROM lists l JOIN consent_wordings w ON w.list_id = l.id
          AND w.version = (SELECT max(version) FROM consent_wordings x WHERE x.list_id = l.id)
        """;

    // ---- lists ------------------------------------------------------------------------------

    /// <summary>Creates a list with its first consent wording. Returns null when the slug is taken.</summary>
    public async Task<ListRow?> CreateListAsync(ListFields f, string wording, string wordingHash, long now, CancellationToken ct = default)
    {
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            var id = await tx.Connection.ExecuteScalarAsync<long?>(
                """
                INSERT INTO lists (org_id, slug, name, description, language, opt_in_mode, purpose, legal_basis, created_at)
                VALUES (@OrgId, @Slug, @Name, @Description, @Language, @OptInMode, @Purpose, @LegalBasis, @now)
                ON CONFLICT (org_id, slug) DO NOTHING RETURNING id
                """,
                new { OrgId, f.Slug, f.Name, f.Description, f.Language, f.OptInMode, f.Purpose, f.LegalBasis, now }, tx.Transaction);
            if (id is null)
                return null;
            await tx.Connection.ExecuteAsync(
                "INSERT INTO consent_wordings (org_id, list_id, version, text, hash, created_at) VALUES (@OrgId, @id, 1, @wording, @wordingHash, @now)",
                new { OrgId, id, wording, wordingHash, now }, tx.Transaction);
            await tx.CommitAsync(ct);
            return await GetListAsync(id.Value, ct);
        }
    }

    /// <summary>Changes a list; a changed wording becomes a new version and the old ones stay.
    /// Returns null when the list does not exist, and throws <see cref="SlugTakenException"/> when the new slug is taken.</summary>
    public async Task<ListRow?> UpdateListAsync(long listId, ListFields f, string wording, string wordingHash, long now, CancellationToken ct = default)
    {
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            var taken = await tx.Connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM lists WHERE org_id = @OrgId AND slug = @Slug AND id <> @listId", new { OrgId, f.Slug, listId }, tx.Transaction);
            if (taken > 0)
                throw new SlugTakenException();
            var changed = await tx.Connection.ExecuteAsync(
                """
                UPDATE lists SET slug = @Slug, name = @Name, description = @Description, language = @Language,
                  opt_in_mode = @OptInMode, purpose = @Purpose, legal_basis = @LegalBasis
                WHERE org_id = @OrgId AND id = @listId
                """,
                new { OrgId, listId, f.Slug, f.Name, f.Description, f.Language, f.OptInMode, f.Purpose, f.LegalBasis }, tx.Transaction);
            if (changed == 0)
                return null;
            var current = await tx.Connection.QuerySingleAsync<(int Version, string Hash)>(
                "SELECT version, hash FROM consent_wordings WHERE list_id = @listId ORDER BY version DESC LIMIT 1", new { listId }, tx.Transaction);
            if (current.Hash != wordingHash)
            {
                await tx.Connection.ExecuteAsync(
                    "INSERT INTO consent_wordings (org_id, list_id, version, text, hash, created_at) VALUES (@OrgId, @listId, @version, @wording, @wordingHash, @now)",
                    new { OrgId, listId, version = current.Version + 1, wording, wordingHash, now }, tx.Transaction);
            }
            await tx.CommitAsync(ct);
        }
        return await GetListAsync(listId, ct);
    }

    /// <summary>A list of this organisation, or null.</summary>
    public async Task<ListRow?> GetListAsync(long listId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ListRow>(ListSelect + " WHERE l.org_id = @OrgId AND l.id = @listId", new { OrgId, listId });
    }

    /// <summary>A list of this organisation by slug, or null.</summary>
    public async Task<ListRow?> FindListAsync(string slug, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ListRow>(ListSelect + " WHERE l.org_id = @OrgId AND l.slug = @slug", new { OrgId, slug });
    }

    /// <summary>The organisation's lists, by name.</summary>
    public async Task<IReadOnlyList<ListRow>> ListListsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ListRow>(ListSelect + " WHERE l.org_id = @OrgId ORDER BY l.name, l.id", new { OrgId })).AsList();
    }

    /// <summary>One wording version of a list, or null.</summary>
    public async Task<ConsentWordingRow?> GetWordingAsync(long listId, int version, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ConsentWordingRow>(
            "SELECT id, list_id, version, text, hash, created_at FROM consent_wordings WHERE org_id = @OrgId AND list_id = @listId AND version = @version",
            new { OrgId, listId, version });
    }

    /// <summary>Every wording version of a list, newest first.</summary>
    public async Task<IReadOnlyList<ConsentWordingRow>> ListWordingsAsync(long listId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ConsentWordingRow>(
            "SELECT id, list_id, version, text, hash, created_at FROM consent_wordings WHERE org_id = @OrgId AND list_id = @listId ORDER BY version DESC",
            new { OrgId, listId })).AsList();
    }

    /// <summary>Counts of subscriptions per status for each list.</summary>
    public async Task<IReadOnlyDictionary<long, Dictionary<string, long>>> CountSubscriptionsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long ListId, string Status, long N)>(
            "SELECT list_id, status, count(*) FROM subscriptions WHERE org_id = @OrgId GROUP BY list_id, status", new { OrgId });
        var result = new Dictionary<long, Dictionary<string, long>>();
        foreach (var (listId, status, n) in rows)
        {
            if (!result.TryGetValue(listId, out var d))
                result[listId] = d = [];
            d[status] = n;
        }
        return result;
    }

    // ---- export -------------------------------------------------------------------------------

    /// <summary>A page of a list's confirmed subscribers for export, restricted people left out.</summary>
    public async Task<IReadOnlyList<ExportRow>> ExportPageAsync(long listId, long afterSubscriberId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ExportRow>(
            """
            SELECT b.id, b.email, b.name, b.language, b.attributes, s.confirmed_at
            FROM subscriptions s JOIN subscribers b ON b.id = s.subscriber_id
            WHERE s.org_id = @OrgId AND s.list_id = @listId AND s.status = 'confirmed' AND b.restricted_at IS NULL AND b.id > @afterSubscriberId
            ORDER BY b.id LIMIT @limit
            """, new { OrgId, listId, afterSubscriberId, limit })).AsList();
    }

    // ---- import settings --------------------------------------------------------------------

    /// <summary>What the organisation does with rows without evidence, and its own domains (for the evidence-source check).</summary>
    public async Task<(string NoEvidencePolicy, string[] OwnDomains)> GetImportSettingsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var (policy, domains) = await c.QuerySingleAsync<(string, string)>("SELECT no_evidence_policy, own_domains FROM organisations WHERE id = @OrgId", new { OrgId });
        return (policy, domains.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Changes the import settings.</summary>
    public async Task SetImportSettingsAsync(string noEvidencePolicy, IEnumerable<string> ownDomains, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE organisations SET no_evidence_policy = @noEvidencePolicy, own_domains = @domains WHERE id = @OrgId",
            new { OrgId, noEvidencePolicy, domains = string.Join(",", ownDomains) }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    // ---- privacy notice ---------------------------------------------------------------------

    /// <summary>The newest privacy notice version, or null if none was written.</summary>
    public async Task<PrivacyNoticeRow?> GetPrivacyNoticeAsync(int? version = null, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return version is null
            ? await c.QuerySingleOrDefaultAsync<PrivacyNoticeRow>("SELECT * FROM privacy_notices WHERE org_id = @OrgId ORDER BY version DESC LIMIT 1", new { OrgId })
            : await c.QuerySingleOrDefaultAsync<PrivacyNoticeRow>("SELECT * FROM privacy_notices WHERE org_id = @OrgId AND version = @version", new { OrgId, version });
    }

    /// <summary>Every privacy notice version, newest first.</summary>
    public async Task<IReadOnlyList<PrivacyNoticeRow>> ListPrivacyNoticesAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PrivacyNoticeRow>("SELECT * FROM privacy_notices WHERE org_id = @OrgId ORDER BY version DESC", new { OrgId })).AsList();
    }

    /// <summary>Publishes a new privacy notice version; returns its number.</summary>
    public async Task<int> AddPrivacyNoticeAsync(string content, string createdBy, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var version = 1 + await tx.Connection.ExecuteScalarAsync<int>(
            "SELECT coalesce(max(version), 0) FROM privacy_notices WHERE org_id = @OrgId", new { OrgId }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO privacy_notices (org_id, version, content, created_at, created_by) VALUES (@OrgId, @version, @content, @now, @createdBy)",
            new { OrgId, version, content, now, createdBy }, tx.Transaction);
        await tx.CommitAsync(ct);
        return version;
    }

    // ---- subscribers ------------------------------------------------------------------------

    /// <summary>A subscriber of this organisation, or null.</summary>
    public async Task<SubscriberRow?> GetSubscriberAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SubscriberRow>("SELECT * FROM subscribers WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>How many subscribers the organisation has.</summary>
    public async Task<long> CountSubscribersAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM subscribers WHERE org_id = @OrgId", new { OrgId });
    }

    /// <summary>A subscriber by normalised address, or null.</summary>
    public async Task<SubscriberRow?> FindSubscriberAsync(string email, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SubscriberRow>("SELECT * FROM subscribers WHERE org_id = @OrgId AND email = @email", new { OrgId, email });
    }

    /// <summary>A page of subscribers after a cursor, optionally those whose address or name contains <paramref name="search"/>.</summary>
    public async Task<IReadOnlyList<SubscriberRow>> ListSubscribersAsync(string? search, long afterId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var like = string.IsNullOrWhiteSpace(search) ? null : "%" + search.Trim().ToLowerInvariant().Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%";
        return (await c.QueryAsync<SubscriberRow>(
            "SELECT * FROM subscribers WHERE org_id = @OrgId AND id > @afterId" +
            (like is null ? "" : " AND (lower(email) LIKE @like OR lower(name) LIKE @like)") +
            " ORDER BY id LIMIT @limit",
            new { OrgId, afterId, limit, like })).AsList();
    }

    /// <summary>A subscriber's subscriptions with their lists.</summary>
    public async Task<IReadOnlyList<SubscriptionRow>> ListSubscriptionsAsync(long subscriberId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<SubscriptionRow>(
            "SELECT s.*, l.slug AS list_slug, l.name AS list_name FROM subscriptions s JOIN lists l ON l.id = s.list_id " +
            "WHERE s.org_id = @OrgId AND s.subscriber_id = @subscriberId ORDER BY l.name", new { OrgId, subscriberId })).AsList();
    }

    /// <summary>One subscription, or null.</summary>
    public async Task<SubscriptionRow?> GetSubscriptionAsync(long subscriptionId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SubscriptionRow>(
            "SELECT s.*, l.slug AS list_slug, l.name AS list_name FROM subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.org_id = @OrgId AND s.id = @subscriptionId",
            new { OrgId, subscriptionId });
    }

    /// <summary>A subscriber's whole consent history, oldest first.</summary>
    public async Task<IReadOnlyList<ConsentRecordRow>> ListConsentRecordsAsync(long subscriberId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ConsentRecordRow>(
            "SELECT r.*, l.slug AS list_slug FROM consent_records r JOIN lists l ON l.id = r.list_id WHERE r.org_id = @OrgId AND r.subscriber_id = @subscriberId ORDER BY r.id",
            new { OrgId, subscriberId })).AsList();
    }

    /// <summary>
    /// Records a request to subscribe, from the form or the API without evidence: the subscriber and a
    /// pending subscription exist afterwards, with what was shown and who asked. A confirmation mail is
    /// queued in the same transaction unless one went out within <paramref name="resendAfterMs"/>, or the
    /// subscription is already confirmed.
    /// </summary>
    public Task<SubscriptionRequestResult> RequestSubscriptionAsync(
        SubscriptionRequest r, long resendAfterMs, Func<SubscriberRow, long, long, OutboxMessage> confirmationMail, CancellationToken ct = default) =>
        db.WriteAsync(tx => RequestSubscriptionAsync(tx, r, resendAfterMs, confirmationMail), ct);

    private async Task<SubscriptionRequestResult> RequestSubscriptionAsync(
        WriteTransaction tx, SubscriptionRequest r, long resendAfterMs, Func<SubscriberRow, long, long, OutboxMessage> confirmationMail)
    {
        var subscriber = await UpsertSubscriberAsync(tx, r.Email, r.Name, r.Language, r.Now);
        var existing = await tx.QuerySingleOrDefaultAsync<SubscriptionRow>(
            "SELECT * FROM subscriptions WHERE org_id = @OrgId AND subscriber_id = @sid AND list_id = @ListId",
            new { OrgId, sid = subscriber.Id, r.ListId });
        if (existing?.Status == "confirmed")
        {
            return new SubscriptionRequestResult(subscriber.Id, existing.Id, "confirmed", false);
        }
        if (existing?.ConfirmationSentAt is { } sent && r.Now - sent < resendAfterMs && existing.RequestAt is not null)
        {
            return new SubscriptionRequestResult(subscriber.Id, existing.Id, existing.Status, false);
        }
        long subscriptionId;
        if (existing is null)
        {
            subscriptionId = await tx.ExecuteScalarAsync<long>(
                """
                INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmation_sent_at,
                  request_at, request_ip, request_user_agent, request_source, request_wording_version, request_notice_version)
                VALUES (@OrgId, @sid, @ListId, 'pending', @Now, @Now, @Now, @Ip, @UserAgent, @Source, @WordingVersion, @NoticeVersion)
                RETURNING id
                """,
                new { OrgId, sid = subscriber.Id, r.ListId, r.Now, r.Ip, r.UserAgent, r.Source, r.WordingVersion, r.NoticeVersion });
        }
        else
        {
            subscriptionId = existing.Id;
            await tx.ExecuteAsync(
                """
                UPDATE subscriptions SET status = 'pending', confirmation_sent_at = @Now, request_at = @Now, request_ip = @Ip,
                  request_user_agent = @UserAgent, request_source = @Source, request_wording_version = @WordingVersion,
                  request_notice_version = @NoticeVersion
                WHERE org_id = @OrgId AND id = @id
                """,
                new { OrgId, id = existing.Id, r.Now, r.Ip, r.UserAgent, r.Source, r.WordingVersion, r.NoticeVersion });
        }
        await EnqueueAsync(tx, confirmationMail(subscriber, subscriptionId, r.Now), r.Now);
        return new SubscriptionRequestResult(subscriber.Id, subscriptionId, "pending", true);
    }

    /// <summary>
    /// Confirms a pending request whose request time matches the link's. Writes the grant with the
    /// form's and the link's facts. Opening the link again changes nothing.
    /// </summary>
    public async Task<ConfirmOutcome> ConfirmAsync(long subscriptionId, long requestAt, long now, string? ip, string? userAgent, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var s = await tx.QuerySingleOrDefaultAsync<SubscriptionRow>(
            "SELECT * FROM subscriptions WHERE org_id = @OrgId AND id = @subscriptionId", new { OrgId, subscriptionId });
        if (s is null)
            return ConfirmOutcome.NotFound;
        if (s.Status == "confirmed")
            return ConfirmOutcome.AlreadyConfirmed;
        if (s.Status != "pending" || s.RequestAt != requestAt)
            return ConfirmOutcome.Superseded;
        var wording = await tx.QuerySingleOrDefaultAsync<ConsentWordingRow>(
            "SELECT id, list_id, version, text, hash, created_at FROM consent_wordings WHERE list_id = @ListId AND version = @RequestWordingVersion",
            new { s.ListId, s.RequestWordingVersion });
        await tx.ExecuteAsync(
            "UPDATE subscriptions SET status = 'confirmed', confirmed_at = @now, unsubscribed_at = NULL WHERE org_id = @OrgId AND id = @subscriptionId",
            new { OrgId, subscriptionId, now });
        await LiftSuppressionAsync(tx, s.SubscriberId, s.ListId, mailboxProven: true);
        await InsertConsentAsync(tx, new NewConsentRecord
        {
            SubscriberId = s.SubscriberId,
            ListId = s.ListId,
            Kind = "grant",
            Method = "double_opt_in",
            OccurredAt = now,
            Ip = ip,
            UserAgent = userAgent,
            Source = s.RequestSource,
            WordingVersion = wording?.Version,
            WordingText = wording?.Text,
            WordingHash = wording?.Hash,
            PrivacyNoticeVersion = s.RequestNoticeVersion,
            FormSubmittedAt = s.RequestAt,
            FormIp = s.RequestIp,
            FormUserAgent = s.RequestUserAgent,
        }, now);
        await tx.CommitAsync(ct);
        return ConfirmOutcome.Confirmed;
    }

    /// <summary>Adds or updates a subscriber and confirms them on a list at once, with the given consent record.</summary>
    /// <remarks>
    /// A self-service grant (the person's own form post or preference centre) lifts an earlier unsubscribe
    /// or erasure; any other caller is refused for a suppressed address with status "suppressed".
    /// </remarks>
    public async Task<SubscriptionRequestResult> AddConfirmedAsync(string email, string name, string language, long listId, NewConsentRecord consent, long now, CancellationToken ct = default, bool selfService = false)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!selfService && SuppressionHash(email) is { } hash)
        {
            var reason = await tx.ExecuteScalarAsync<string>(
                "SELECT reason FROM suppressions WHERE org_id = @OrgId AND address_hash = @hash AND list_id IN (0, @listId) LIMIT 1", new { OrgId, hash, listId });
            if (reason is not null)
                return new SubscriptionRequestResult(0, 0, "suppressed:" + reason, false);
        }
        var subscriber = await UpsertSubscriberAsync(tx, email, name, language, now);
        var subscriptionId = await tx.ExecuteScalarAsync<long>(
            """
            INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at)
            VALUES (@OrgId, @sid, @listId, 'confirmed', @now, @now)
            ON CONFLICT (subscriber_id, list_id) DO UPDATE SET status = 'confirmed', confirmed_at = @now, unsubscribed_at = NULL, request_at = NULL
            RETURNING id
            """,
            new { OrgId, sid = subscriber.Id, listId, now });
        await InsertConsentAsync(tx, new NewConsentRecord
        {
            SubscriberId = subscriber.Id,
            ListId = listId,
            Kind = consent.Kind,
            Method = consent.Method,
            OccurredAt = consent.OccurredAt,
            Ip = consent.Ip,
            UserAgent = consent.UserAgent,
            Source = consent.Source,
            WordingVersion = consent.WordingVersion,
            WordingText = consent.WordingText,
            WordingHash = consent.WordingHash,
            PrivacyNoticeVersion = consent.PrivacyNoticeVersion,
            Actor = consent.Actor,
        }, now);
        if (selfService)
            await LiftSuppressionAsync(tx, subscriber.Id, listId);
        await tx.CommitAsync(ct);
        return new SubscriptionRequestResult(subscriber.Id, subscriptionId, "confirmed", false);
    }

    /// <summary>Withdraws a subscription and records the withdrawal. Returns false when it was not subscribed.</summary>
    public async Task<bool> UnsubscribeAsync(long subscriptionId, string method, string? ip, string? userAgent, string? actor, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var s = await tx.Connection.QuerySingleOrDefaultAsync<SubscriptionRow>(
            "SELECT * FROM subscriptions WHERE org_id = @OrgId AND id = @subscriptionId", new { OrgId, subscriptionId }, tx.Transaction);
        if (s is null || s.Status == "unsubscribed")
            return false;
        await WithdrawAsync(tx, s, method, ip, userAgent, actor, now);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Inside the caller's transaction: withdraws every subscription of a person that is not withdrawn yet,
    /// each recorded as the unsubscribe path records it. Returns how many there were.
    /// </summary>
    internal async Task<int> UnsubscribeEverywhereAsync(WriteTransaction tx, long subscriberId, string method, long now)
    {
        var open = (await tx.Connection.QueryAsync<SubscriptionRow>(
            "SELECT * FROM subscriptions WHERE org_id = @OrgId AND subscriber_id = @subscriberId AND status <> 'unsubscribed' ORDER BY id",
            new { OrgId, subscriberId }, tx.Transaction)).AsList();
        foreach (var s in open)
            await WithdrawAsync(tx, s, method, null, null, null, now);
        return open.Count;
    }

    /// <summary>
    /// Inside the caller's transaction: puts a person on the suppression list for every list (list 0) and
    /// marks them suppressed, so no campaign selects them. An earlier entry for every list keeps its reason.
    /// </summary>
    internal async Task SuppressEverywhereAsync(WriteTransaction tx, long subscriberId, string reason, long now)
    {
        await SuppressAsync(tx, subscriberId, 0, reason, now);
        await tx.Connection.ExecuteAsync(
            "UPDATE subscribers SET suppressed_at = COALESCE(suppressed_at, @now) WHERE org_id = @OrgId AND id = @subscriberId",
            new { OrgId, subscriberId, now }, tx.Transaction);
    }

    // The subscription ends, the list's suppression entry is written, and the withdrawal is kept as proof.
    private async Task WithdrawAsync(WriteTransaction tx, SubscriptionRow s, string method, string? ip, string? userAgent, string? actor, long now)
    {
        await tx.Connection.ExecuteAsync(
            "UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = @now, request_at = NULL WHERE org_id = @OrgId AND id = @subscriptionId",
            new { OrgId, subscriptionId = s.Id, now }, tx.Transaction);
        await SuppressAsync(tx, s.SubscriberId, s.ListId, SuppressionReasons.Unsubscribed, now);
        // A pending request that is withdrawn was never a grant, but the withdrawal is still kept as proof.
        await InsertConsentAsync(tx, new NewConsentRecord
        {
            SubscriberId = s.SubscriberId,
            ListId = s.ListId,
            Kind = "withdrawal",
            Method = method,
            OccurredAt = now,
            Ip = ip,
            UserAgent = userAgent,
            Actor = actor,
        }, now);
    }

    /// <summary>
    /// Changes a subscriber's name and language (rectification from the preference centre or API); <paramref name="notify"/>
    /// (the registered recipients' deliveries, Article 19) is queued with the change.
    /// </summary>
    public async Task<bool> UpdateSubscriberAsync(long subscriberId, string name, string language, long now, CancellationToken ct = default,
        IReadOnlyList<NewWebhookDelivery>? notify = null)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE subscribers SET name = @name, language = @language, updated_at = @now WHERE org_id = @OrgId AND id = @subscriberId",
            new { OrgId, subscriberId, name, language, now }, tx.Transaction);
        if (n > 0)
            await PrivacyRecipientStore.InsertDeliveriesAsync(tx, OrgId, notify, now);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    // ---- the data subject's rights (Articles 16, 18, 21) --------------------------------------

    /// <summary>
    /// Restricts (Article 18) or lifts the restriction: a restricted person is kept but left out of every send,
    /// segment, export and import update. Lifting queues <paramref name="liftedMail"/> (the person is told, 18(3))
    /// in the same transaction, as is <paramref name="notify"/> (the registered recipients' deliveries, Article 19). False
    /// when nothing changed (no such subscriber, or already in that state).
    /// </summary>
    public async Task<bool> SetRestrictedAsync(long subscriberId, bool restricted, Func<SubscriberRow, OutboxMessage>? liftedMail, long now, CancellationToken ct = default,
        IReadOnlyList<NewWebhookDelivery>? notify = null)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var row = await tx.Connection.QuerySingleOrDefaultAsync<SubscriberRow>(
            restricted
                ? "UPDATE subscribers SET restricted_at = @now, updated_at = @now WHERE org_id = @OrgId AND id = @subscriberId AND restricted_at IS NULL RETURNING *"
                : "UPDATE subscribers SET restricted_at = NULL, updated_at = @now WHERE org_id = @OrgId AND id = @subscriberId AND restricted_at IS NOT NULL RETURNING *",
            new { OrgId, subscriberId, now }, tx.Transaction);
        if (row is null)
            return false;
        if (!restricted && liftedMail is not null)
            await EnqueueAsync(tx, liftedMail(row), now);
        await PrivacyRecipientStore.InsertDeliveriesAsync(tx, OrgId, notify, now);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// An objection to direct marketing (Article 21(3), absolute): every subscription of the person is withdrawn
    /// with a withdrawal record, the address is suppressed for every list with reason <c>objection</c> (also when Lupa
    /// does not hold the person yet, so no import adds them), and <c>suppressed_at</c> is set. Returns how many
    /// subscriptions were withdrawn.
    /// </summary>
    public async Task<int> ObjectToDirectMarketingAsync(string email, string actor, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var subscriber = await tx.Connection.QuerySingleOrDefaultAsync<SubscriberRow>(
            "SELECT * FROM subscribers WHERE org_id = @OrgId AND email = @email", new { OrgId, email }, tx.Transaction);
        var withdrawn = 0;
        if (subscriber is not null)
        {
            var open = (await tx.Connection.QueryAsync<SubscriptionRow>(
                "SELECT * FROM subscriptions WHERE org_id = @OrgId AND subscriber_id = @Id AND status <> 'unsubscribed'", new { OrgId, subscriber.Id }, tx.Transaction)).AsList();
            foreach (var s in open)
            {
                await tx.Connection.ExecuteAsync(
                    "UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = @now, request_at = NULL WHERE org_id = @OrgId AND id = @Id",
                    new { OrgId, s.Id, now }, tx.Transaction);
                await InsertConsentAsync(tx, new NewConsentRecord
                {
                    SubscriberId = s.SubscriberId,
                    ListId = s.ListId,
                    Kind = ConsentKinds.Withdrawal,
                    Method = ConsentMethods.Objection,
                    OccurredAt = now,
                    Actor = actor,
                }, now);
                withdrawn++;
            }
            await tx.Connection.ExecuteAsync(
                "UPDATE subscribers SET suppressed_at = coalesce(suppressed_at, @now), updated_at = @now WHERE org_id = @OrgId AND id = @Id",
                new { OrgId, subscriber.Id, now }, tx.Transaction);
        }
        if (SuppressionHash(email) is { } hash)
            await tx.Connection.ExecuteAsync(
                """
                INSERT INTO suppressions (org_id, address_hash, list_id, reason, created_at) VALUES (@OrgId, @hash, 0, @reason, @now)
                ON CONFLICT (org_id, address_hash, list_id) DO UPDATE SET reason = excluded.reason WHERE suppressions.reason = 'erased'
                """,
                new { OrgId, hash, reason = SuppressionReasons.Objection, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return withdrawn;
    }

    /// <summary>
    /// An objection to profiling (Article 21(2)): marks the person, and deletes their individual opens and clicks; no
    /// individual tracking or scoring may apply from then on.
    /// </summary>
    public async Task<bool> ObjectToProfilingAsync(long subscriberId, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE subscribers SET objected_profiling_at = @now, updated_at = @now WHERE org_id = @OrgId AND id = @subscriberId AND objected_profiling_at IS NULL",
            new { OrgId, subscriberId, now }, tx.Transaction);
        // The individual opens and clicks kept so far served profiling too: they go with the objection.
        await TrackingStore.DeletePersonEventsAsync(tx, OrgId, subscriberId);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>
    /// Rectification (Article 16): sets name, language and attributes (as a JSON object) together; <paramref name="notify"/>
    /// (the registered recipients' deliveries, Article 19) is queued with the change.
    /// </summary>
    public async Task<bool> RectifyAsync(long subscriberId, string name, string language, string attributes, long now, CancellationToken ct = default,
        IReadOnlyList<NewWebhookDelivery>? notify = null)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE subscribers SET name = @name, language = @language, attributes = @attributes, updated_at = @now WHERE org_id = @OrgId AND id = @subscriberId",
            new { OrgId, subscriberId, name, language, attributes, now }, tx.Transaction);
        if (n > 0)
            await PrivacyRecipientStore.InsertDeliveriesAsync(tx, OrgId, notify, now);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    // The suppression list keeps only a keyed hash of the address.
    private string? SuppressionHash(string? email) =>
        email is not null && EmailAddress.Parse(email) is { IsOk: true } address ? SuppressionKey.For(db.SuppressionKey, address.Value!) : null;

    private async Task<string?> SuppressionHashAsync(WriteTransaction tx, long subscriberId) =>
        SuppressionHash(await tx.Connection.ExecuteScalarAsync<string>(
            "SELECT email FROM subscribers WHERE org_id = @OrgId AND id = @subscriberId", new { OrgId, subscriberId }, tx.Transaction));

    // List 0 would mean every list.
    private async Task SuppressAsync(WriteTransaction tx, long subscriberId, long listId, string reason, long now)
    {
        if (await SuppressionHashAsync(tx, subscriberId) is not { } hash)
            return;
        await tx.Connection.ExecuteAsync(
            "INSERT INTO suppressions (org_id, address_hash, list_id, reason, created_at) VALUES (@OrgId, @hash, @listId, @reason, @now) ON CONFLICT (org_id, address_hash, list_id) DO NOTHING",
            new { OrgId, hash, listId, reason, now }, tx.Transaction);
    }

    // A person who subscribes again themselves may: their own confirmation lifts an unsubscribe or erasure entry.
    // A confirmed double opt-in also proves the mailbox takes mail and is the person's new consent, so it
    // lifts a bounce or complaint entry as well, and the person is no longer suppressed unless another
    // entry for every list remains.
    private async Task LiftSuppressionAsync(WriteTransaction tx, long subscriberId, long listId, bool mailboxProven = false)
    {
        if (await SuppressionHashAsync(tx, subscriberId) is not { } hash)
            return;
        await tx.Connection.ExecuteAsync(
            "DELETE FROM suppressions WHERE org_id = @OrgId AND address_hash = @hash AND ((list_id = @listId AND reason = 'unsubscribed') OR (list_id = 0 AND reason = 'erased'))",
            new { OrgId, hash, listId }, tx.Transaction);
        if (!mailboxProven)
            return;
        await tx.Connection.ExecuteAsync(
            "DELETE FROM suppressions WHERE org_id = @OrgId AND address_hash = @hash AND list_id = 0 AND reason IN ('hard_bounce', 'soft_bounce', 'complaint')",
            new { OrgId, hash }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            """
            UPDATE subscribers SET suppressed_at = NULL WHERE org_id = @OrgId AND id = @subscriberId AND suppressed_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM suppressions WHERE org_id = @OrgId AND address_hash = @hash AND list_id = 0)
            """,
            new { OrgId, subscriberId, hash }, tx.Transaction);
    }

    private async Task<SubscriberRow> UpsertSubscriberAsync(WriteTransaction tx, string email, string name, string language, long now)
    {
        // A stranger typing a known address must not rename its owner: the name is only filled in when empty.
        return await tx.QuerySingleAsync<SubscriberRow>(
            """
            INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at)
            VALUES (@OrgId, @email, @name, @language, '{}', @now, @now)
            ON CONFLICT (org_id, email) DO UPDATE SET
              name = CASE WHEN subscribers.name = '' THEN excluded.name ELSE subscribers.name END
            RETURNING *
            """,
            new { OrgId, email, name, language, now });
    }

    private Task InsertConsentAsync(WriteTransaction tx, NewConsentRecord r, long now) =>
        tx.ExecuteAsync(
            """
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, ip, user_agent, source,
              wording_version, wording_text, wording_hash, privacy_notice_version, form_submitted_at, form_ip, form_user_agent, actor, recorded_at)
            VALUES (@OrgId, @SubscriberId, @ListId, @Kind, @Method, @OccurredAt, @Ip, @UserAgent, @Source,
              @WordingVersion, @WordingText, @WordingHash, @PrivacyNoticeVersion, @FormSubmittedAt, @FormIp, @FormUserAgent, @Actor, @now)
            """,
            new
            {
                OrgId, r.SubscriberId, r.ListId, r.Kind, r.Method, r.OccurredAt, r.Ip, r.UserAgent, r.Source,
                r.WordingVersion, r.WordingText, r.WordingHash, r.PrivacyNoticeVersion, r.FormSubmittedAt, r.FormIp, r.FormUserAgent, r.Actor, now,
            });

    private Task EnqueueAsync(WriteTransaction tx, OutboxMessage m, long now) => OutboxStore.InsertAsync(tx, OrgId, m, now);

    /// <summary>Queues a system mail on its own.</summary>
    public async Task EnqueueAsync(OutboxMessage m, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await EnqueueAsync(tx, m, now);
        await tx.CommitAsync(ct);
    }

    // ---- people and keys -------------------------------------------------------------------

    /// <summary>The organisation's people.</summary>
    public async Task<IReadOnlyList<PersonRow>> ListPeopleAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PersonRow>("SELECT * FROM people WHERE org_id = @OrgId ORDER BY name, id", new { OrgId })).AsList();
    }

    /// <summary>Adds a person; returns false when the address already has an account.</summary>
    public async Task<bool> AddPersonAsync(PersonToCreate p, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var exists = await tx.Connection.ExecuteScalarAsync<long>("SELECT count(*) FROM people WHERE lower(email) = lower(@Email)", new { p.Email }, tx.Transaction);
        if (exists > 0)
            return false;
        await tx.Connection.ExecuteAsync(
            "INSERT INTO people (org_id, email, name, role, password_hash, created_at) VALUES (@OrgId, @Email, @Name, @Role, @PasswordHash, @now)",
            new { OrgId, p.Email, p.Name, p.Role, p.PasswordHash, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Changes a person's role or disables them.</summary>
    public async Task<bool> UpdatePersonAsync(long personId, string role, bool disabled, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE people SET role = @role, disabled_at = CASE WHEN @disabled THEN coalesce(disabled_at, @now) ELSE NULL END WHERE org_id = @OrgId AND id = @personId",
            new { OrgId, personId, role, disabled, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>The organisation's API keys (never the keys themselves).</summary>
    public async Task<IReadOnlyList<ApiKeyRow>> ListApiKeysAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ApiKeyRow>("SELECT id, org_id, name, prefix, created_at, revoked_at FROM api_keys WHERE org_id = @OrgId ORDER BY id", new { OrgId })).AsList();
    }

    /// <summary>Stores a new API key's hash.</summary>
    public async Task<long> AddApiKeyAsync(string name, string prefix, string keyHash, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            "INSERT INTO api_keys (org_id, name, prefix, key_hash, created_at) VALUES (@OrgId, @name, @prefix, @keyHash, @now) RETURNING id",
            new { OrgId, name, prefix, keyHash, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Revokes a key.</summary>
    public async Task<bool> RevokeApiKeyAsync(long keyId, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @now WHERE org_id = @OrgId AND id = @keyId AND revoked_at IS NULL", new { OrgId, keyId, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }
}

/// <summary>The editable fields of a list.</summary>
public sealed record ListFields(string Slug, string Name, string Description, string Language, string OptInMode, string Purpose, string LegalBasis);

/// <summary>A request to subscribe, with what the form showed and who sent it.</summary>
public sealed record SubscriptionRequest(
    long ListId, string Email, string Name, string Language, long Now, string? Ip, string? UserAgent, string? Source, int WordingVersion, int? NoticeVersion);

/// <summary>What became of a subscription request.</summary>
public sealed record SubscriptionRequestResult(long SubscriberId, long SubscriptionId, string Status, bool ConfirmationQueued);

/// <summary>What opening a confirmation link did.</summary>
public enum ConfirmOutcome
{
    /// <summary>The subscription is now confirmed.</summary>
    Confirmed,

    /// <summary>It was confirmed before; nothing changed.</summary>
    AlreadyConfirmed,

    /// <summary>The link belongs to an older request or the person unsubscribed since.</summary>
    Superseded,

    /// <summary>No such subscription.</summary>
    NotFound,
}

/// <summary>Thrown when a slug is already used in the organisation.</summary>
public sealed class SlugTakenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SlugTakenException() : base("The slug is already used.") { }
}
