using System.Security.Claims;
using Lupa.Hosting;
using Lupa.Storage;
using Lupa.Subscriptions;

namespace Lupa.Api;

/// <summary>What API handlers need, resolved once per request.</summary>
public sealed class ApiServices(LupaDatabase db, SystemStore system, PublicLinks links, SubscriptionService subscriptions, Lupa.Privacy.AuditTrail audit,
    Microsoft.Extensions.Options.IOptions<LupaOptions> options, TimeProvider clock)
{
    /// <summary>The operator's acceptable use policy.</summary>
    public Lupa.Domain.AcceptableUse.AcceptableUsePolicy Policy => options.Value.AcceptableUse;
    /// <summary>Records in the audit trail what the caller's key did with personal data.</summary>
    public Task AuditAsync(ClaimsPrincipal user, string action, string subject, object? details, CancellationToken ct) =>
        audit.RecordAsync(user.OrgId(), user.Actor(), action, subject, details, ct);

    /// <summary>Records in the audit trail that the caller's key was shown these people (by id).</summary>
    public Task AuditListedAsync(ClaimsPrincipal user, string action, string subject, IReadOnlyCollection<long> ids, object? facts, CancellationToken ct) =>
        audit.ListedAsync(user.OrgId(), user.Actor(), action, subject, ids, facts, ct);

    /// <summary>Public URLs.</summary>
    public PublicLinks Links => links;

    /// <summary>The subscription workflow.</summary>
    public SubscriptionService Subscriptions => subscriptions;

    /// <summary>The caller's organisation store.</summary>
    public OrganisationStore Store(ClaimsPrincipal user) => new(db, user.OrgId());

    /// <summary>The caller's bounces and complaints.</summary>
    public BounceStore Bounces(ClaimsPrincipal user) => new(db, user.OrgId());

    /// <summary>The caller's organisation.</summary>
    public async Task<OrganisationRow> OrganisationAsync(ClaimsPrincipal user, CancellationToken ct) =>
        await system.GetOrganisationAsync(user.OrgId(), ct) ?? throw new InvalidOperationException("The key's organisation is gone.");

    /// <summary>Now, in Unix milliseconds.</summary>
    public long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
