using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Lupa.Security;
using Lupa.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Lupa.Api;

/// <summary>Authenticates <c>Authorization: Bearer lupa_…</c> against the stored key hashes.</summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SystemStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "apikey";

    /// <summary>The policy the API group requires.</summary>
    public const string Policy = "api";

    /// <summary>The claim holding the organisation id.</summary>
    public const string OrgClaim = "lupa:org";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is < 10 or > 200)
            return AuthenticateResult.Fail("malformed key");
        var found = await store.FindApiKeyAsync(ApiKeys.Hash(key), Context.RequestAborted);
        if (found is null)
            return AuthenticateResult.Fail("unknown or revoked key");
        // The actor names the key by its id and its visible prefix (lupa_<prefix>_…), as the API keys page shows it.
        var actor = $"api-key:{found.Id.ToString(CultureInfo.InvariantCulture)}:{found.Prefix}";
        var identity = new ClaimsIdentity(
            [new Claim(OrgClaim, found.OrgId.ToString(CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, actor)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: 401, title: "Unauthorized", detail: "Send an API key of the organisation as 'Authorization: Bearer <key>'.").ExecuteAsync(Context);
    }
}

/// <summary>The caller of an API request.</summary>
public static class ApiCaller
{
    /// <summary>The organisation whose key made the request.</summary>
    public static long OrgId(this ClaimsPrincipal user) => long.Parse(user.FindFirstValue(ApiKeyAuthentication.OrgClaim)!, CultureInfo.InvariantCulture);

    /// <summary>Who acted, for consent records, the audit trail and logs: <c>api-key:{id}:{prefix}</c>.</summary>
    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? "api";
}
