using System.Security.Claims;
using Lupa.Campaigns;
using Lupa.Domain;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Mail.Dkim;
using Lupa.Outbox;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lupa.Api;

/// <summary>A sender domain with the DNS record to publish.</summary>
public sealed record SenderDomainDto(string Domain, string Selector, string Algorithm, string DnsName, string DnsValue, DateTimeOffset CreatedAt);

/// <summary>The body of POST /api/v1/sender-domains.</summary>
public sealed class SenderDomainInput
{
    /// <summary>The domain the From addresses use, such as news.example.com.</summary>
    public string? Domain { get; set; }

    /// <summary><c>rsa-sha256</c> (default) or <c>ed25519-sha256</c>.</summary>
    public string? Algorithm { get; set; }
}

/// <summary>The organisation's identity in every mail.</summary>
public sealed class LayoutDto
{
    /// <summary>The postal address every marketing mail shows (several lines allowed).</summary>
    public string? PostalAddress { get; set; }

    /// <summary>Colour of buttons and links, #rrggbb.</summary>
    public string? BrandColour { get; set; }

    /// <summary>A layout of the organisation's own (HTML with Liquid; must contain {{ content }}); empty for the built-in one.</summary>
    public string? CustomLayout { get; set; }
}

/// <summary>The body of POST /api/v1/transactional.</summary>
public sealed class TransactionalInput
{
    /// <summary>The recipient's address.</summary>
    public string? To { get; set; }

    /// <summary>The recipient's name, for {{ subscriber.name }}.</summary>
    public string? Name { get; set; }

    /// <summary>Sender name.</summary>
    public string? FromName { get; set; }

    /// <summary>Sender address, on a sender domain of the organisation.</summary>
    public string? FromAddress { get; set; }

    /// <summary>Where replies go.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>Subject (Liquid).</summary>
    public string? Subject { get; set; }

    /// <summary>Body in Markdown or HTML (Liquid; values of <see cref="Data"/> as {{ subscriber.attributes.key }}).</summary>
    public string? Body { get; set; }

    /// <summary><c>markdown</c> (default) or <c>html</c>.</summary>
    public string? BodyFormat { get; set; }

    /// <summary>The GDPR legal basis the message is sent under: contract, legal_obligation, vital_interests, public_task, legitimate_interests or consent.</summary>
    public string? LegalBasis { get; set; }

    /// <summary>Values for the template.</summary>
    public Dictionary<string, string>? Data { get; set; }
}

/// <summary>What a transactional send answers.</summary>
public sealed record TransactionalDto(string MessageId, string Status);

/// <summary>Sender domains and their DKIM keys, the mail layout, and transactional sends.</summary>
public static class SendingApi
{
    /// <summary>Legal bases a transactional message may be sent under (GDPR Article 6(1)).</summary>
    public static readonly string[] TransactionalBases = ["contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests", "consent"];

    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var d = api.MapGroup("/sender-domains").WithTags("Sender domains");
        d.MapGet("/", Domains).WithSummary("The organisation's sender domains with the DKIM DNS record of each.");
        d.MapPost("/", AddDomain).WithSummary("Adds a sender domain and generates its DKIM key; publish the DNS record it returns.").Accepts<SenderDomainInput>("application/json");
        d.MapDelete("/{domain}", RemoveDomain).WithSummary("Removes a sender domain and its key.");
        var l = api.MapGroup("/settings/layout").WithTags("Settings");
        l.MapGet("/", GetLayout).WithSummary("The organisation's postal address, brand colour and custom layout.");
        l.MapPut("/", SetLayout).WithSummary("Changes the postal address, brand colour and custom layout.").Accepts<LayoutDto>("application/json");
        api.MapPost("/transactional", Transactional).WithTags("Transactional")
            .WithSummary("Sends one templated message to one person (receipts, notices), logged with its legal basis; never to a hard-bounced address.")
            .Accepts<TransactionalInput>("application/json");
    }

    internal static SenderDomainDto ToDto(SenderDomainRow d)
    {
        var key = DkimKey.TryFromPem(d.Algorithm, d.PrivateKey, out var k, out _) ? k : null;
        return new SenderDomainDto(d.Domain, d.Selector, d.Algorithm, DkimKey.DnsName(d.Selector, d.Domain), key?.DnsTxtRecord ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds(d.CreatedAt));
    }

    private static async Task<Ok<SenderDomainDto[]>> Domains(ClaimsPrincipal user, CampaignService c, CancellationToken ct) =>
        TypedResults.Ok((await c.For(user.OrgId()).ListSenderDomainsAsync(ct)).Select(ToDto).ToArray());

    /// <summary>Checks a domain name as people type it; returns it lower-cased, or the problem.</summary>
    public static Outcome<string> ParseDomain(string? domain)
    {
        var d = (domain ?? "").Trim().TrimEnd('.').ToLowerInvariant();
        if (d.Length is 0 or > 253 || !d.Contains('.', StringComparison.Ordinal)
            || d.Split('.').Any(label => label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-') || !label.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-')))
            return Outcome<string>.Fail("domain", "Give a domain name such as news.example.com.");
        return Outcome<string>.Ok(d);
    }

    private static async Task<Results<Created<SenderDomainDto>, ProblemHttpResult>> AddDomain(HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c,
        IOptions<LupaOptions> options, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<SenderDomainInput>(http);
        if (problem is not null)
            return problem;
        var (row, refused, status) = await AddDomainAsync(c.For(user.OrgId()), input!.Domain, input.Algorithm, options.Value.Campaigns.DkimSelector, s.Now(), ct);
        if (refused is not null)
            return status == StatusCodes.Status409Conflict ? ApiBody.Conflict(refused.Field, refused.Message) : ApiBody.Invalid(refused.Field, refused.Message);
        return TypedResults.Created($"/api/v1/sender-domains/{row!.Domain}", ToDto(row));
    }

    /// <summary>
    /// Checks a domain and algorithm as people give them, generates the DKIM key and adds the sender
    /// domain; the API and the admin page both add domains through here. Returns the new row, or the
    /// problem with its status code (422, or 409 when the domain is already there).
    /// </summary>
    public static async Task<(SenderDomainRow? Added, FieldProblem? Problem, int Status)> AddDomainAsync(CampaignStore store, string? domainText, string? algorithmText,
        string selector, long now, CancellationToken ct)
    {
        var domain = ParseDomain(domainText);
        if (!domain.IsOk)
            return (null, new FieldProblem("domain", domain.Reason!), StatusCodes.Status422UnprocessableEntity);
        var algorithm = string.IsNullOrWhiteSpace(algorithmText) ? DkimKey.RsaSha256 : algorithmText.Trim().ToLowerInvariant();
        if (algorithm is not (DkimKey.RsaSha256 or DkimKey.Ed25519Sha256))
            return (null, new FieldProblem("algorithm", $"must be {DkimKey.RsaSha256} or {DkimKey.Ed25519Sha256}"), StatusCodes.Status422UnprocessableEntity);
        var key = algorithm == DkimKey.RsaSha256 ? DkimKey.GenerateRsa() : DkimKey.GenerateEd25519();
        if (!await store.AddSenderDomainAsync(domain.Value!, selector, algorithm, key.PrivateKeyPem, now, ct))
            return (null, new FieldProblem("domain", $"{domain.Value} is already a sender domain of this organisation"), StatusCodes.Status409Conflict);
        var row = (await store.ListSenderDomainsAsync(ct)).First(d => d.Domain == domain.Value);
        return (row, null, StatusCodes.Status201Created);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveDomain(string domain, ClaimsPrincipal user, CampaignService c, CancellationToken ct) =>
        await c.For(user.OrgId()).RemoveSenderDomainAsync(domain.Trim().ToLowerInvariant(), ct) ? TypedResults.NoContent() : ApiBody.NotFound("sender domain");

    private static async Task<Ok<LayoutDto>> GetLayout(ClaimsPrincipal user, CampaignService c, CancellationToken ct)
    {
        var l = await c.For(user.OrgId()).GetLayoutAsync(ct);
        return TypedResults.Ok(new LayoutDto { PostalAddress = l.PostalAddress, BrandColour = l.BrandColour, CustomLayout = l.CustomLayout });
    }

    /// <summary>Checks layout settings; null when they are fine.</summary>
    public static FieldProblem? LayoutProblem(string? postalAddress, string? brandColour, string? customLayout)
    {
        if ((postalAddress ?? "").Length > 1000)
            return new FieldProblem("postalAddress", "must be at most 1000 characters");
        if (!string.IsNullOrWhiteSpace(brandColour) && !System.Text.RegularExpressions.Regex.IsMatch(brandColour.Trim(), "^#[0-9a-fA-F]{6}$"))
            return new FieldProblem("brandColour", "must be a colour such as #0b6e4f");
        if (!string.IsNullOrWhiteSpace(customLayout))
        {
            if (customLayout.Length > 100_000)
                return new FieldProblem("customLayout", "must be at most 100,000 characters");
            var compiled = Lupa.Mail.Templates.CampaignTemplate.Compile(
                new Lupa.Mail.Templates.CampaignContent("Test", "Test", "", "Test", "markdown"),
                new Lupa.Mail.Templates.OrganisationLayout("Test", postalAddress ?? "", "en", null, customLayout));
            if (!compiled.IsOk)
                return new FieldProblem("customLayout", compiled.Reason!);
        }
        return null;
    }

    private static async Task<Results<Ok<LayoutDto>, ProblemHttpResult>> SetLayout(HttpContext http, ClaimsPrincipal user, CampaignService c, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<LayoutDto>(http);
        if (problem is not null)
            return problem;
        if (LayoutProblem(input!.PostalAddress, input.BrandColour, input.CustomLayout) is { } p)
            return ApiBody.Invalid(p.Field, p.Message);
        await SaveLayoutAsync(c.For(user.OrgId()), input.PostalAddress, input.BrandColour, input.CustomLayout, ct);
        return await GetLayout(user, c, ct) is { } ok ? ok : throw new InvalidOperationException();
    }

    /// <summary>Stores checked layout settings (see <see cref="LayoutProblem"/>): trimmed, blank colour and layout as none, line breaks as LF.</summary>
    public static Task SaveLayoutAsync(CampaignStore store, string? postalAddress, string? brandColour, string? customLayout, CancellationToken ct) =>
        store.SetLayoutAsync((postalAddress ?? "").ReplaceLineEndings("\n").Trim(), Blank(brandColour), Blank(customLayout), ct);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static async Task<Results<Accepted<TransactionalDto>, ProblemHttpResult>> Transactional(HttpContext http, ClaimsPrincipal user, ApiServices s,
        CampaignService c, CampaignMailFactory mails, LupaDatabase db, OutboxSignal signal, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<TransactionalInput>(http);
        if (problem is not null)
            return problem;
        var to = EmailAddress.Parse(input!.To);
        if (!to.IsOk)
            return ApiBody.Invalid("to", to.Reason!);
        var basis = (input.LegalBasis ?? "").Trim().ToLowerInvariant();
        if (!TransactionalBases.Contains(basis))
            return ApiBody.Invalid("legalBasis", $"must be one of {string.Join(", ", TransactionalBases)}");
        var orgId = user.OrgId();
        var (fields, problems) = await c.ValidateAsync(orgId, new CampaignInput
        {
            Name = "transactional",
            FromName = input.FromName,
            FromAddress = input.FromAddress,
            ReplyTo = input.ReplyTo,
            Subject = input.Subject,
            Body = input.Body,
            BodyFormat = input.BodyFormat,
        }, ct, transactional: true);
        if (fields is null)
            return CampaignsApi.Invalid(problems);
        if (await new CampaignQueue(db).IsHardBouncedAsync(orgId, SuppressionKey.For(db.SuppressionKey, to.Value!), ct))
            return ApiBody.Invalid("to", "this address hard-bounced before; Lupa sends nothing more to it");
        var domain = CampaignMail.Domain(fields.FromAddress);
        if ((await c.For(orgId).ListSenderDomainsAsync(ct)).All(d => d.Domain != domain))
            return ApiBody.Invalid("fromAddress", $"{domain} is not a sender domain of this organisation");
        var store = s.Store(user);
        var subscriber = await store.FindSubscriberAsync(to.Value!.Value, ct);
        var row = new CampaignRow { Id = 0, OrgId = orgId, Name = "transactional", FromName = fields.FromName, FromAddress = fields.FromAddress, ReplyTo = fields.ReplyTo,
            Subject = fields.Subject, Preheader = "", Body = fields.Body, BodyFormat = fields.BodyFormat, ListIds = "[]" };
        var mail = await mails.PrepareAsync(row, ct);
        if (!mail.IsOk)
            return ApiBody.Invalid("body", mail.Reason!);
        var attributes = System.Text.Json.JsonSerializer.Serialize(input.Data ?? []);
        var messageId = MimeKit.Utils.MimeUtils.GenerateMessageId(domain);
        var built = mail.Value!.Build(new CampaignRecipient(subscriber?.Id ?? 0, to.Value.Value, input.Name ?? subscriber?.Name ?? "", subscriber?.Language ?? "en", attributes),
            transactional: true, messageId: messageId);
        if (!built.IsOk)
            return ApiBody.Invalid("body", built.Reason!);
        await store.EnqueueAsync(new OutboxMessage("transactional", messageId, fields.FromAddress, to.Value.Value, built.Value!) { LegalBasis = basis }, s.Now(), ct);
        signal.Notify();
        await s.AuditAsync(user, Lupa.Domain.Privacy.AuditActions.TransactionalSend, subscriber is null ? "message:" + messageId : "subscriber:" + subscriber.Id,
            new { legalBasis = basis, messageId }, ct);
        return TypedResults.Accepted($"/api/v1/transactional", new TransactionalDto(messageId, "queued"));
    }
}
