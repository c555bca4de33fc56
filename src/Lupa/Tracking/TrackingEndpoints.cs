using Lupa.Domain.Tracking;

namespace Lupa.Tracking;

/// <summary>
/// <c>/t/o/{token}</c>, the open pixel, and <c>/t/c/{token}</c>, the click redirect. They are the busiest
/// addresses Lupa has, so they bypass routing, authentication and the rest of the pipeline: a request checks its
/// token's signature (no database), looks at the signs of a machine, puts one <see cref="TrackingHit"/> in the
/// <see cref="TrackingBuffer"/> and answers. A token that does not verify gets a 404 with problem+json and never
/// a redirect.
/// </summary>
public static class TrackingEndpoints
{
    // The smallest transparent GIF: 1x1, one colour, transparent.
    private static readonly byte[] Pixel =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
    ];

    private static readonly byte[] NotFoundBody =
        """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"This tracking link is not valid."}"""u8.ToArray();

    private static readonly byte[] MethodNotAllowedBody =
        """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.6","title":"Method Not Allowed","status":405,"detail":"Tracking links answer GET and HEAD."}"""u8.ToArray();

    private const string NoStore = "no-store, no-cache, must-revalidate, private";

    /// <summary>Maps <c>/t</c> as a branch of its own, ahead of routing.</summary>
    public static void Map(IApplicationBuilder app)
    {
        var links = app.ApplicationServices.GetRequiredService<TrackingLinks>();
        var buffer = app.ApplicationServices.GetRequiredService<TrackingBuffer>();
        var clock = app.ApplicationServices.GetRequiredService<TimeProvider>();
        app.Map("/t", branch => branch.Run(context => HandleAsync(context, links, buffer, clock)));
    }

    private static Task HandleAsync(HttpContext context, TrackingLinks links, TrackingBuffer buffer, TimeProvider clock)
    {
        var request = context.Request;
        var head = HttpMethods.IsHead(request.Method);
        if (!head && !HttpMethods.IsGet(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return ProblemAsync(context, StatusCodes.Status405MethodNotAllowed, MethodNotAllowedBody);
        }
        var path = request.Path.Value.AsSpan();
        var kind = path.Length > 3 && path[0] == '/' && path[2] == '/'
            ? path[1] switch { 'o' => TrackingKind.Open, 'c' => TrackingKind.Click, _ => (TrackingKind)0 }
            : (TrackingKind)0;
        // A URL that is not printable ASCII cannot be a Location header; Lupa never signs one (see LinkTracking).
        if (kind == 0 || !links.TryRead(path[3..], kind, out var claims, out var url) || (url is not null && url.AsSpan().ContainsAnyExceptInRange('!', '~')))
            return ProblemAsync(context, StatusCodes.Status404NotFound, NotFoundBody);

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        string? userAgent = request.Headers.UserAgent;
        var machine = MachineSigns.IsMachine(head, userAgent, claims.SentAt, now);
        buffer.Add(new TrackingHit(kind, claims.CampaignId, claims.SubscriberId, claims.LinkId, claims.Tag, machine, now));

        var response = context.Response;
        response.Headers.CacheControl = NoStore;
        if (kind == TrackingKind.Click)
        {
            response.StatusCode = StatusCodes.Status302Found;
            response.Headers.Location = url;
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "image/gif";
        response.ContentLength = Pixel.Length;
        return head ? Task.CompletedTask : response.Body.WriteAsync(Pixel).AsTask();
    }

    private static Task ProblemAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        response.ContentLength = body.Length;
        response.Headers.CacheControl = NoStore;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }
}
