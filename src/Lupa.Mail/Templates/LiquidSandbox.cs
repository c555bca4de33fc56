using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Fluid;
using Fluid.Ast;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;

namespace Lupa.Mail.Templates;

/// <summary>
/// The one Fluid parser and options every campaign template uses. Templates see only the values we set
/// (dictionaries and strings built here), never a CLR object's members, cannot read files, and stop after a
/// bounded amount of work so a runaway loop fails one recipient instead of holding a send worker.
/// </summary>
internal static class LiquidSandbox
{
    /// <summary>Statements one recipient's subject, HTML and text may execute together.</summary>
    internal const int MaxSteps = 100_000;

    /// <summary>Longest range a <c>for</c> loop may build: Fluid allocates the whole range before the step limit can act.</summary>
    internal const int MaxRangeLength = 10_000;

    /// <summary>Longest string an <c>assign</c> or <c>capture</c> may hold, so doubling a string in a loop stops early.</summary>
    internal const int MaxAssignedLength = 200_000;

    internal static readonly FluidParser Parser = new();

    internal static readonly TemplateOptions Options = CreateOptions();

    /// <summary>
    /// Encodes what Liquid writes into HTML: markup-significant characters are encoded, letters of every
    /// script are kept as they are, so a Finnish name stays readable in the source.
    /// </summary>
    internal static readonly TextEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            // Registers nothing: only the dictionaries and strings set on the context are reachable.
            MemberAccessStrategy = new DefaultMemberAccessStrategy(),
            FileProvider = new NullFileProvider(),
            MaxSteps = MaxSteps,
            MaxRecursion = 32,
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        options.Assigned = static (name, value, _) => Bounded(name, value);
        options.Captured = static (name, value, _) => Bounded(name, value);
        return options;
    }

    private static ValueTask<FluidValue> Bounded(string name, FluidValue value)
    {
        if (value.Type == FluidValues.String && value.ToStringValue().Length > MaxAssignedLength)
            throw new InvalidOperationException($"'{name}' would hold more than {MaxAssignedLength:N0} characters");
        return new ValueTask<FluidValue>(value);
    }

    /// <summary>Parses a template; on failure says why in one line.</summary>
    internal static bool TryParse(string source, out IFluidTemplate template, out string error)
    {
        if (!Parser.TryParse(source, out var parsed, out var message) || parsed is null)
        {
            template = null!;
            error = string.Join(' ', (message ?? "the template could not be parsed").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            return false;
        }
        template = new RangeLimiter().VisitTemplate(parsed);
        error = "";
        return true;
    }

    /// <summary>A context holding one recipient's values and the campaign's shared ones.</summary>
    internal static TemplateContext Context(RecipientValues recipient, FluidValue campaign, FluidValue organisation, IReadOnlyList<TrackedLink>? links = null)
    {
        var context = new TemplateContext(Options);
        context.SetValue("subscriber", new DictionaryValue(new SubscriberValues(recipient)));
        context.SetValue("unsubscribe_url", new StringValue(recipient.UnsubscribeUrl));
        context.SetValue("preferences_url", new StringValue(recipient.PreferencesUrl));
        context.SetValue("privacy_notice_url", new StringValue(recipient.PrivacyNoticeUrl));
        context.SetValue("privacy_requests_url", new StringValue(recipient.PrivacyRequestsUrl));
        context.SetValue("campaign", campaign);
        context.SetValue("organisation", organisation);
        if (recipient.Tracking is { } tracking && links is not null)
            context.SetValue(LinkTracking.Slot, new DictionaryValue(new TrackingValues(tracking, links)));
        return context;
    }

    /// <summary>A read-only dictionary value, built once and shared by every render.</summary>
    internal static FluidValue Dictionary(IDictionary<string, FluidValue> entries) =>
        new DictionaryValue(new FluidValueDictionaryFluidIndexable(entries));

    /// <summary><c>subscriber.*</c>, read straight from the recipient without copying its attributes.</summary>
    private sealed class SubscriberValues(RecipientValues recipient) : IFluidIndexable
    {
        private static readonly string[] Names = ["name", "email", "language", "attributes"];

        public int Count => Names.Length;

        public IEnumerable<string> Keys => Names;

        public bool TryGetValue(string name, out FluidValue value)
        {
            value = name switch
            {
                "name" => new StringValue(recipient.Name),
                "email" => new StringValue(recipient.Email),
                "language" => new StringValue(recipient.Language),
                "attributes" => new DictionaryValue(new AttributeValues(recipient.Attributes)),
                _ => null!,
            };
            return value is not null;
        }
    }

    private sealed class AttributeValues(IReadOnlyDictionary<string, string> attributes) : IFluidIndexable
    {
        public int Count => attributes.Count;

        public IEnumerable<string> Keys => attributes.Keys;

        public bool TryGetValue(string name, out FluidValue value)
        {
            if (attributes.TryGetValue(name, out var text))
            {
                value = new StringValue(text);
                return true;
            }
            value = null!;
            return false;
        }
    }

    /// <summary>
    /// The values of the tracking slots (<see cref="LinkTracking"/>): <c>cN</c> is the click URL of the N-th link,
    /// <c>open</c> the pixel. Written as they are (not HTML-encoded): they are our own URLs and markup.
    /// </summary>
    private sealed class TrackingValues(RecipientTracking tracking, IReadOnlyList<TrackedLink> links) : IFluidIndexable
    {
        public int Count => links.Count + 1;

        public IEnumerable<string> Keys => links.Select((_, i) => "c" + i.ToString(CultureInfo.InvariantCulture)).Append("open");

        public bool TryGetValue(string name, out FluidValue value)
        {
            if (name == "open")
            {
                value = new StringValue($"<img src=\"{tracking.OpenPixelUrl}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\">", false);
                return true;
            }
            if (name.StartsWith('c') && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < links.Count)
            {
                value = new StringValue(tracking.ClickUrl(links[i]), false);
                return true;
            }
            value = null!;
            return false;
        }
    }

    /// <summary>Puts a length check in front of every range, <c>(1..n)</c>.</summary>
    private sealed class RangeLimiter : AstRewriter
    {
        protected override Expression VisitRangeExpression(RangeExpression rangeExpression) =>
            new BoundedRange(rangeExpression);
    }

    private sealed class BoundedRange(RangeExpression range) : Expression
    {
        public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
        {
            var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
            var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
            if (to - from + 1 > MaxRangeLength)
                throw new InvalidOperationException($"a range of more than {MaxRangeLength:N0} numbers");
            return await range.EvaluateAsync(context);
        }
    }
}
