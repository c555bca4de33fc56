using Fluid;
using Fluid.Values;
using Lupa.Domain;

namespace Lupa.Mail.Templates;

/// <summary>
/// A campaign's prepared subject, HTML and text templates. <see cref="Render"/> is the only per-recipient work,
/// for sends, test sends and previews alike; it is safe to call from many threads at once.
/// </summary>
public sealed class CompiledCampaign
{
    private const string SentinelUnsubscribeUrl = "https://unsubscribe.invalid/lupa-compliance-check";

    private readonly IFluidTemplate _subject;
    private readonly IFluidTemplate _html;
    private readonly IFluidTemplate _trackedHtml;
    private readonly IFluidTemplate _text;
    private readonly FluidValue _campaign;
    private readonly FluidValue _organisation;

    internal CompiledCampaign(
        IFluidTemplate subject,
        IFluidTemplate html,
        IFluidTemplate trackedHtml,
        IReadOnlyList<TrackedLink> trackedLinks,
        IFluidTemplate text,
        string htmlSource,
        string textSource,
        CampaignContent content,
        OrganisationLayout layout)
    {
        _subject = subject;
        _html = html;
        _trackedHtml = trackedHtml;
        TrackedLinks = trackedLinks;
        _text = text;
        HtmlSource = htmlSource;
        TextSource = textSource;
        var addressLines = layout.PostalAddress
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        _campaign = LiquidSandbox.Dictionary(new Dictionary<string, FluidValue>
        {
            ["name"] = new StringValue(content.CampaignName),
        });
        _organisation = LiquidSandbox.Dictionary(new Dictionary<string, FluidValue>
        {
            ["name"] = new StringValue(layout.OrganisationName),
            ["postal_address"] = new StringValue(string.Join('\n', addressLines)),
            ["postal_address_lines"] = new ArrayValue(addressLines.Select(l => (FluidValue)new StringValue(l)).ToArray()),
        });

        // Rendered once with a recognisable unsubscribe URL: what a custom layout leaves out shows here.
        var check = Render(new RecipientValues(
            "", "recipient@example.invalid", layout.Language, new Dictionary<string, string>(),
            SentinelUnsubscribeUrl, "https://preferences.invalid/", "https://privacy.invalid/", "https://privacy-requests.invalid/"));
        if (check.Value is { } sample)
        {
            LinksUnsubscribe = sample.Html.Contains($"href=\"{SentinelUnsubscribeUrl}", StringComparison.Ordinal)
                && sample.Text.Contains(SentinelUnsubscribeUrl, StringComparison.Ordinal);
            ShowsPostalAddress = addressLines.Length > 0 && addressLines.All(line =>
                sample.Html.Contains(LiquidSandbox.Html.Encode(line), StringComparison.Ordinal)
                || sample.Html.Contains(line, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Whether a message links to the recipient's unsubscribe URL in both its HTML and its text. The built-in
    /// layout always does; a custom layout without the footer or its own link does not. False as well when
    /// the check's render fails.
    /// </summary>
    public bool LinksUnsubscribe { get; }

    /// <summary>Whether the postal address is non-empty and every line of it appears in the rendered HTML.</summary>
    public bool ShowsPostalAddress { get; }

    /// <summary>The distinct links a tracked message sends through the click redirect, in the order they first appear.</summary>
    public IReadOnlyList<TrackedLink> TrackedLinks { get; }

    /// <summary>The prepared HTML template: layout, body and inlined CSS, Liquid still in it.</summary>
    internal string HtmlSource { get; }

    /// <summary>The prepared plain-text template.</summary>
    internal string TextSource { get; }

    /// <summary>
    /// Renders one recipient's message. Values are HTML-encoded in the HTML only. With <see cref="RecipientValues.Tracking"/>
    /// the HTML's links go through the click redirect and it carries the open pixel; without, it has neither. A failure (a runtime error
    /// or a limit reached) is <see cref="TemplateFailures.Render"/> for this recipient, never an exception.
    /// </summary>
    public Outcome<RenderedMessage> Render(RecipientValues recipient)
    {
        var context = LiquidSandbox.Context(recipient, _campaign, _organisation, TrackedLinks);
        var part = "subject";
        try
        {
            var subject = OneLine(_subject.Render(context, NullEncoder.Default));
            part = "HTML body";
            var html = (recipient.Tracking is null ? _html : _trackedHtml).Render(context, LiquidSandbox.Html);
            part = "text body";
            var text = _text.Render(context, NullEncoder.Default);
            return Outcome<RenderedMessage>.Ok(new RenderedMessage(subject, html, text));
        }
        catch (Exception e)
        {
            // Fluid reports the step limit as "maximum level of recursion ... cyclic include", which misleads
            // someone whose loop simply ran too long.
            var why = e is InvalidOperationException && e.Message.StartsWith("The maximum level of recursion", StringComparison.Ordinal)
                ? $"it took more than {LiquidSandbox.MaxSteps:N0} steps or nested too deeply"
                : e.Message;
            return Outcome<RenderedMessage>.Fail(TemplateFailures.Render, $"The {part} could not be rendered for this recipient: {why}");
        }
    }

    private static string OneLine(string text)
    {
        if (text.AsSpan().IndexOfAny('\r', '\n') < 0)
            return text.Trim();
        return string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
