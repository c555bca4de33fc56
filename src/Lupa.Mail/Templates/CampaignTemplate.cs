using System.Text.RegularExpressions;
using Lupa.Domain;
using Markdig;

namespace Lupa.Mail.Templates;

/// <summary>The failure codes of <see cref="CampaignTemplate.Compile"/> and <see cref="CompiledCampaign.Render"/> for Liquid problems.</summary>
public static class TemplateFailures
{
    /// <summary>A part's Liquid does not parse; the reason names the part (subject, preheader, body or layout).</summary>
    public const string Syntax = "template_syntax";

    /// <summary>Rendering failed for one recipient: a runtime error, or a step, range or size limit reached.</summary>
    public const string Render = "template_render";
}

/// <summary>
/// Prepares a campaign once so that each recipient costs only a Fluid render: Markdown is converted, the body
/// placed in the layout, CSS inlined and the plain text derived here, never per recipient.
/// </summary>
public static partial class CampaignTemplate
{
    /// <summary>The colour of buttons and links when the organisation has chosen none.</summary>
    public const string DefaultBrandColour = EmailLayout.DefaultBrandColour;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseAutoLinks().Build();

    [GeneratedRegex(@"<p>((?:(?!</?p>).)*?)</p>", RegexOptions.Singleline)]
    private static partial Regex Paragraph();

    /// <summary>
    /// Compiles the content into the layout. Refused, naming the field, for an unknown body format or language,
    /// an empty subject, a malformed brand colour or a custom layout without <c>{{ content }}</c>; refused with
    /// <see cref="TemplateFailures.Syntax"/> for Liquid that does not parse.
    /// </summary>
    public static Outcome<CompiledCampaign> Compile(CampaignContent content, OrganisationLayout layout)
    {
        if (Problem(content, layout) is { } problem)
            return Outcome<CompiledCampaign>.Fail(problem.Field, problem.Reason);

        var customLayout = string.IsNullOrWhiteSpace(layout.CustomHtml) ? null : layout.CustomHtml;
        // Each part alone first, so that a syntax error names the part the marketer wrote.
        (string Part, string? Source)[] parts =
            [("subject", content.Subject), ("preheader", content.Preheader), ("body", content.Body), ("layout", customLayout)];
        foreach (var (part, source) in parts)
        {
            if (source is not null && !LiquidSandbox.TryParse(source, out _, out var error))
                return SyntaxError($"The {part} has a Liquid syntax error: {error}");
        }

        var body = content.BodyFormat == BodyFormats.Markdown ? MarkdownToHtml(content.Body) : content.Body;
        var document = customLayout ?? EmailLayout.BuiltIn(layout.Language, layout.BrandColour ?? EmailLayout.DefaultBrandColour);
        document = EmailLayout.FooterSlot().Replace(document, _ => EmailLayout.HtmlFooter(layout.Language));
        document = EmailLayout.ContentSlot().Replace(document, _ => body);

        string html;
        try
        {
            // The preheader goes in after inlining: it has its own style, and the HTML parser behind
            // PreMailer has by then given every document a <body> to put it in.
            html = EmailLayout.WithPreheader(InlineCss(document), content.Preheader);
        }
        catch (Exception e)
        {
            return SyntaxError($"The layout's CSS could not be inlined: {e.Message}");
        }
        var text = HtmlText.From(body) + "\n\n" + EmailLayout.TextFooter(layout.Language);

        LiquidSandbox.TryParse(content.Subject, out var subjectTemplate, out _);
        if (!LiquidSandbox.TryParse(html, out var htmlTemplate, out var htmlError))
            return SyntaxError($"The layout and the body together have a Liquid syntax error: {htmlError}");
        if (!LiquidSandbox.TryParse(text, out var textTemplate, out var textError))
            return SyntaxError($"The plain text made from the body has a Liquid syntax error: {textError}");
        // The tracked variant only adds slots where whole attribute values and the end of the body were.
        var (trackedHtml, links) = LinkTracking.Rewrite(html);
        if (!LiquidSandbox.TryParse(trackedHtml, out var trackedTemplate, out var trackedError))
            return SyntaxError($"The layout and the body together have a Liquid syntax error once links are tracked: {trackedError}");

        return Outcome<CompiledCampaign>.Ok(new CompiledCampaign(subjectTemplate, htmlTemplate, trackedTemplate, links, textTemplate, html, text, content, layout));
    }

    private static Outcome<CompiledCampaign> SyntaxError(string reason) =>
        Outcome<CompiledCampaign>.Fail(TemplateFailures.Syntax, reason);

    private static (string Field, string Reason)? Problem(CampaignContent content, OrganisationLayout layout)
    {
        if (!BodyFormats.IsKnown(content.BodyFormat))
            return ("bodyFormat", $"body format must be '{BodyFormats.Markdown}' or '{BodyFormats.Html}'");
        if (string.IsNullOrWhiteSpace(content.Subject))
            return ("subject", "subject is required");
        if (!Languages.IsSupported(layout.Language))
            return ("language", $"language must be '{Languages.Finnish}' or '{Languages.English}'");
        if (string.IsNullOrWhiteSpace(layout.OrganisationName))
            return ("organisationName", "organisation name is required");
        if (layout.BrandColour is not null && !EmailLayout.BrandColour().IsMatch(layout.BrandColour))
            return ("brandColour", "brand colour must be written #rrggbb");
        if (!string.IsNullOrWhiteSpace(layout.CustomHtml) && !EmailLayout.ContentSlot().IsMatch(layout.CustomHtml))
            return ("customHtml", "the custom layout must contain {{ content }} where the campaign's body goes");
        return null;
    }

    /// <summary>
    /// Markdown to HTML with the Liquid kept whole, in link destinations too. A Liquid tag alone on a line ends
    /// the paragraph around it, so <c>{% if %}</c> … <c>{% endif %}</c> on their own lines wrap whole
    /// paragraphs and leave no empty one behind when the condition is false.
    /// </summary>
    private static string MarkdownToHtml(string markdown)
    {
        var placeholders = LiquidPlaceholders.For(markdown);
        var html = Markdig.Markdown.ToHtml(placeholders.Protect(markdown), Pipeline);
        html = Paragraph().Replace(html, p =>
        {
            var result = new System.Text.StringBuilder();
            var lines = new List<string>();
            foreach (var line in p.Groups[1].Value.Split('\n'))
            {
                if (!placeholders.IsOnlyTagTokens(line))
                {
                    lines.Add(line);
                    continue;
                }
                if (lines.Count > 0)
                    result.Append("<p>").AppendJoin('\n', lines).Append("</p>\n");
                lines.Clear();
                result.Append(line.Trim()).Append('\n');
            }
            if (lines.Count > 0)
                result.Append("<p>").AppendJoin('\n', lines).Append("</p>");
            return result.ToString().TrimEnd('\n');
        });
        return placeholders.Restore(html);
    }

    /// <summary>
    /// Moves the style block's rules into style attributes, keeping media queries. Linked style sheets are left
    /// alone: PreMailer would otherwise download them, a request to any address a layout names.
    /// </summary>
    private static string InlineCss(string document)
    {
        var placeholders = LiquidPlaceholders.For(document);
        var result = PreMailer.Net.PreMailer.MoveCssInline(
            placeholders.ProtectHtml(document),
            removeStyleElements: true,
            ignoreElements: "link",
            preserveMediaQueries: true);
        return placeholders.Restore(result.Html);
    }
}
