using System.Text.RegularExpressions;
using Lupa.Mail.Templates;

namespace Lupa.Domain.Tests.Mail;

public sealed class CampaignTemplateTests
{
    private static readonly OrganisationLayout English = new("Acme Oy", "Mannerheimintie 1\n00100 Helsinki", "en");
    private static readonly OrganisationLayout Finnish = English with { Language = "fi" };

    private static CampaignContent Markdown(string body, string subject = "Spring news", string? preheader = null) =>
        new("Spring", subject, preheader, body, BodyFormats.Markdown);

    private static CampaignContent Html(string body) => new("Spring", "Spring news", null, body, BodyFormats.Html);

    private static RecipientValues Recipient(
        string name = "Anna",
        IReadOnlyDictionary<string, string>? attributes = null,
        string unsubscribeUrl = "https://lupa.test/u/anna?t=1&s=2") =>
        new(name, "anna@example.test", "en", attributes ?? new Dictionary<string, string>(),
            unsubscribeUrl, "https://lupa.test/p/anna", "https://lupa.test/privacy", "https://lupa.test/privacy-requests");

    private static CompiledCampaign Compile(CampaignContent content, OrganisationLayout? layout = null)
    {
        var compiled = CampaignTemplate.Compile(content, layout ?? English);
        Assert.True(compiled.IsOk, compiled.Reason);
        return compiled.Value!;
    }

    private static RenderedMessage Render(CompiledCampaign campaign, RecipientValues? recipient = null)
    {
        var rendered = campaign.Render(recipient ?? Recipient());
        Assert.True(rendered.IsOk, rendered.Reason);
        return rendered.Value!;
    }

    [Fact]
    public void Markdown_link_to_unsubscribe_url_renders_the_recipients_url()
    {
        var message = Render(Compile(Markdown("Had enough? [Leave the list]({{ unsubscribe_url }}).")));

        Assert.Contains("<a href=\"https://lupa.test/u/anna?t=1&amp;s=2\"", message.Html);
        Assert.Contains("Leave the list</a>", message.Html);
        Assert.Contains("Leave the list (https://lupa.test/u/anna?t=1&s=2)", message.Text);
    }

    [Fact]
    public void Liquid_in_an_html_href_survives_css_inlining()
    {
        var campaign = Compile(Html("<p><a href=\"{{ preferences_url }}?from={{ subscriber.email | url_encode }}\">Settings</a></p>"));

        var message = Render(campaign);

        Assert.Contains("href=\"https://lupa.test/p/anna?from=anna%40example.test\"", message.Html);
        Assert.Contains("Settings (https://lupa.test/p/anna?from=anna%40example.test)", message.Text);
    }

    [Fact]
    public void Html_output_encodes_a_subscriber_name_with_angle_brackets()
    {
        var campaign = Compile(Markdown("Hello {{ subscriber.name }}!", subject: "For {{ subscriber.name }}"));

        var message = Render(campaign, Recipient(name: "<script>alert(1)</script> & \"Bob\""));

        Assert.Contains("Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;!", message.Html);
        Assert.DoesNotContain("<script>", message.Html);
        Assert.Contains("Hello <script>alert(1)</script> & \"Bob\"!", message.Text);
        Assert.Equal("For <script>alert(1)</script> & \"Bob\"", message.Subject);
    }

    [Fact]
    public void Text_part_has_no_html_tags_and_keeps_links()
    {
        var campaign = Compile(Markdown("""
            # Spring sale

            Dear {{ subscriber.name }}, **everything** is *cheaper*.

            - Tea & cakes
            - [Read more](https://acme.test/spring)

            1. First
            2. Second

            | Item | Price |
            |------|-------|
            | Tea  | 3 €   |
            """));

        var text = Render(campaign).Text;

        Assert.DoesNotMatch(new Regex("<[a-zA-Z/!]"), text);
        Assert.Contains("Spring sale\n===========", text);
        Assert.Contains("Dear Anna, everything is cheaper.", text);
        Assert.Contains("- Tea & cakes\n- Read more (https://acme.test/spring)", text);
        Assert.Contains("1. First\n2. Second", text);
        Assert.Contains("Item | Price\nTea | 3 €", text);
    }

    [Fact]
    public void Html_body_becomes_readable_text()
    {
        var campaign = Compile(Html("<h2>News</h2><p>Hi <b>{{ subscriber.name }}</b>,<br>welcome.</p><ul><li>One</li><li>Two</li></ul><p><a href=\"https://acme.test\">Shop</a> <img src=\"x.png\" alt=\"Logo\"></p>"));

        var text = Render(campaign).Text;

        Assert.StartsWith("News\n----\n\nHi Anna,\nwelcome.\n\n- One\n- Two\n\nShop (https://acme.test) Logo", text);
    }

    [Fact]
    public void Text_part_ends_with_a_footer_of_links_and_the_postal_address()
    {
        var text = Render(Compile(Markdown("Body"))).Text;

        Assert.Contains("-- \n", text);
        Assert.Contains("Unsubscribe: https://lupa.test/u/anna?t=1&s=2", text);
        Assert.Contains("Email preferences: https://lupa.test/p/anna", text);
        Assert.Contains("Privacy notice: https://lupa.test/privacy\n", text);
        Assert.Contains("Your data rights: https://lupa.test/privacy-requests\n", text);
        Assert.EndsWith("Acme Oy\nMannerheimintie 1\n00100 Helsinki", text);
    }

    [Fact]
    public void Css_is_inlined_once_at_compile()
    {
        var campaign = Compile(Markdown("Hello {{ subscriber.name }}"));

        // The prepared template already carries the inlined styles and the Liquid; a render only fills values in.
        Assert.Contains("<p style=\"margin: 0 0 16px 0\">Hello {{ subscriber.name }}</p>", campaign.HtmlSource);
        Assert.DoesNotContain(".lupa-content p", campaign.HtmlSource);
        Assert.Contains("@media only screen", campaign.HtmlSource);
        Assert.Contains("<p style=\"margin: 0 0 16px 0\">Hello Anna</p>", Render(campaign).Html);
    }

    [Fact]
    public void Custom_layout_css_is_inlined_too()
    {
        var layout = English with { CustomHtml = "<html><head><style>p { color: #123456; }</style></head><body>{{ content }}{{ footer }}</body></html>" };

        var html = Render(Compile(Markdown("Hello"), layout)).Html;

        Assert.Contains("<p style=\"color: #123456\">Hello</p>", html);
    }

    [Theory]
    [InlineData("{% if subscriber.name %}Hello", "News", null, null, "body")]
    [InlineData("Hello", "News {{ subscriber.name ", null, null, "subject")]
    [InlineData("Hello", "News", "{% for %}", null, "preheader")]
    [InlineData("Hello", "News", null, "<body>{{ content }}{% endif %}</body>", "layout")]
    public void Liquid_syntax_error_names_the_part(string body, string subject, string? preheader, string? customHtml, string part)
    {
        var compiled = CampaignTemplate.Compile(
            new CampaignContent("Spring", subject, preheader, body, BodyFormats.Markdown),
            English with { CustomHtml = customHtml });

        Assert.False(compiled.IsOk);
        Assert.Equal(TemplateFailures.Syntax, compiled.Code);
        Assert.StartsWith($"The {part} has a Liquid syntax error: ", compiled.Reason);
    }

    [Fact]
    public void Liquid_syntax_error_names_the_body()
    {
        var compiled = CampaignTemplate.Compile(Markdown("Hi {{ subscriber.name | }}"), English);

        Assert.Equal(TemplateFailures.Syntax, compiled.Code);
        Assert.Contains("body", compiled.Reason);
    }

    [Theory]
    [InlineData("{% for i in (1..1000000000) %}x{% endfor %}")]
    [InlineData("{% for i in (1..5000) %}{% for j in (1..5000) %}x{% endfor %}{% endfor %}")]
    [InlineData("{% assign s = 'xxxxxxxxxx' %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s }}")]
    public void Runaway_loop_fails_the_recipient_not_the_process(string body)
    {
        var campaign = Compile(Markdown(body));

        var rendered = campaign.Render(Recipient());

        Assert.False(rendered.IsOk);
        Assert.Equal(TemplateFailures.Render, rendered.Code);
        Assert.StartsWith("The HTML body could not be rendered for this recipient: ", rendered.Reason);
        Assert.False(campaign.LinksUnsubscribe);
        Assert.True(Compile(Markdown("Still fine")).Render(Recipient()).IsOk);
    }

    [Fact]
    public void A_runtime_error_fails_only_that_recipient()
    {
        var campaign = Compile(Markdown("{{ 10 | divided_by: subscriber.attributes.count }}"));

        Assert.Equal(TemplateFailures.Render, campaign.Render(Recipient(attributes: new Dictionary<string, string> { ["count"] = "0" })).Code);
        Assert.Contains("<p style=\"margin: 0 0 16px 0\">5</p>", Render(campaign, Recipient(attributes: new Dictionary<string, string> { ["count"] = "2" })).Html);
    }

    [Fact]
    public void Templates_cannot_include_files()
    {
        var campaign = Compile(Markdown("{% include '/etc/passwd' %}"));

        var rendered = campaign.Render(Recipient());

        Assert.True(!rendered.IsOk || !rendered.Value!.Html.Contains("root:", StringComparison.Ordinal));
    }

    [Fact]
    public void Finnish_layout_footer_is_in_finnish()
    {
        var message = Render(Compile(Markdown("Hei {{ subscriber.name }}"), Finnish));

        foreach (var part in new[] { message.Html, message.Text })
        {
            Assert.Contains("Peru tilaus", part);
            Assert.Contains("Tilausasetukset", part);
            Assert.Contains("Tietosuojaseloste", part);
            Assert.Contains("Tietosuojaoikeutesi", part);
            Assert.Contains("Saat tämän viestin, koska olet tilannut uutiskirjeen lähettäjältä Acme Oy.", part);
            Assert.DoesNotContain("Unsubscribe", part);
        }
        Assert.Contains("<html lang=\"fi\">", message.Html);
        Assert.Contains(">Peru tilaus</a>", message.Html);
    }

    [Fact]
    public void English_layout_footer_is_in_english()
    {
        var message = Render(Compile(Markdown("Hello")));

        foreach (var part in new[] { message.Html, message.Text })
        {
            Assert.Contains("Unsubscribe", part);
            Assert.Contains("Email preferences", part);
            Assert.Contains("Privacy notice", part);
            Assert.Contains("You receive this email because you subscribed to news from Acme Oy.", part);
        }
        Assert.Contains("<a href=\"https://lupa.test/privacy\"", message.Html);
        Assert.Contains("<a href=\"https://lupa.test/privacy-requests\"", message.Html);
        Assert.Contains("Your data rights</a>", message.Html);
        Assert.Contains("Acme Oy<br>Mannerheimintie 1<br>00100 Helsinki", message.Html);
    }

    [Fact]
    public void Attribute_default_filter_works()
    {
        var campaign = Compile(Markdown("Hello {{ subscriber.attributes.city | default: \"friend\" }}, [{{ subscriber.attributes.missing }}]"));

        Assert.Contains("Hello Turku, []", Render(campaign, Recipient(attributes: new Dictionary<string, string> { ["city"] = "Turku" })).Text);
        Assert.Contains("Hello friend, []", Render(campaign).Text);
    }

    [Fact]
    public void Concurrent_renders_give_each_recipient_their_own_values()
    {
        var campaign = Compile(Markdown(
            "Hello {{ subscriber.name }} from {{ subscriber.attributes.city }}. [Leave]({{ unsubscribe_url }})",
            subject: "For {{ subscriber.name }}"));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, 2000, i =>
        {
            var recipient = Recipient(
                name: $"Person {i}",
                attributes: new Dictionary<string, string> { ["city"] = $"City {i}" },
                unsubscribeUrl: $"https://lupa.test/u/{i}");
            var message = campaign.Render(recipient).Value!;
            if (message.Subject != $"For Person {i}"
                || !message.Html.Contains($"Hello Person {i} from City {i}.", StringComparison.Ordinal)
                || !message.Html.Contains($"href=\"https://lupa.test/u/{i}\"", StringComparison.Ordinal)
                || !message.Text.Contains($"Leave (https://lupa.test/u/{i})", StringComparison.Ordinal))
                failures.Add($"recipient {i}");
        });

        Assert.Empty(failures);
    }

    [Fact]
    public void Custom_layout_without_content_placeholder_is_refused()
    {
        var compiled = CampaignTemplate.Compile(Markdown("Hello"), English with { CustomHtml = "<html><body>{{ footer }}</body></html>" });

        Assert.False(compiled.IsOk);
        Assert.Equal("customHtml", compiled.Code);
    }

    [Fact]
    public void Custom_layout_missing_the_unsubscribe_link_does_not_link_unsubscribe()
    {
        var layout = English with { CustomHtml = "<html><body>{{ content }}<p>{{ organisation.name }}, {{ organisation.postal_address }}</p></body></html>" };

        var campaign = Compile(Markdown("Hello"), layout);

        Assert.False(campaign.LinksUnsubscribe);
        Assert.True(campaign.ShowsPostalAddress);
    }

    [Fact]
    public void Custom_layout_with_the_footer_placeholder_links_unsubscribe()
    {
        var campaign = Compile(Markdown("Hello"), English with { CustomHtml = "<html><body><div>{{ content }}</div><div>{{ footer }}</div></body></html>" });

        Assert.True(campaign.LinksUnsubscribe);
        Assert.True(campaign.ShowsPostalAddress);
    }

    [Fact]
    public void Built_in_layout_links_unsubscribe_and_shows_the_postal_address()
    {
        var campaign = Compile(Markdown("Hello"));

        Assert.True(campaign.LinksUnsubscribe);
        Assert.True(campaign.ShowsPostalAddress);
        Assert.False(Compile(Markdown("Hello"), English with { PostalAddress = " \n " }).ShowsPostalAddress);
    }

    [Fact]
    public void Liquid_if_blocks_on_their_own_lines_wrap_whole_paragraphs()
    {
        var campaign = Compile(Markdown("""
            Hello

            {% if subscriber.attributes.vip == "yes" %}
            A **VIP** offer.
            {% else %}
            The usual offer.
            {% endif %}

            Bye
            """));
        var emptyParagraph = new Regex(@"<p[^>]*>\s*</p>");

        var vip = Render(campaign, Recipient(attributes: new Dictionary<string, string> { ["vip"] = "yes" }));
        var usual = Render(campaign);

        Assert.Contains("A <strong>VIP</strong> offer.</p>", vip.Html);
        Assert.DoesNotContain("usual", vip.Html);
        Assert.Contains("The usual offer.</p>", usual.Html);
        Assert.DoesNotContain("VIP", usual.Html);
        Assert.DoesNotMatch(emptyParagraph, vip.Html);
        Assert.DoesNotMatch(emptyParagraph, usual.Html);
        Assert.StartsWith("Hello\n\nA VIP offer.\n\nBye\n", vip.Text);
        Assert.StartsWith("Hello\n\nThe usual offer.\n\nBye\n", usual.Text);
    }

    [Fact]
    public void Liquid_tags_between_table_rows_stay_in_place()
    {
        var campaign = Compile(Html("<table><tr><td>Always</td></tr>{% if subscriber.attributes.vip %}<tr><td>Only for VIPs</td></tr>{% endif %}</table><p>After</p>"));

        var vip = Render(campaign, Recipient(attributes: new Dictionary<string, string> { ["vip"] = "yes" }));
        var usual = Render(campaign);

        Assert.Matches(new Regex("Always</td></tr><tr><td[^>]*>Only for VIPs</td></tr></tbody></table>"), vip.Html);
        Assert.DoesNotContain("Only for VIPs", usual.Html);
    }

    [Fact]
    public void Subject_is_one_line_and_not_html_encoded()
    {
        var campaign = Compile(Markdown("Body", subject: "Hello\n{{ subscriber.name }}\r\n& welcome"));

        Assert.Equal("Hello Tom & Jerry & welcome", Render(campaign, Recipient(name: "Tom & Jerry")).Subject);
        Assert.Equal("Hello Tom Bcc: x & welcome", Render(campaign, Recipient(name: "Tom\r\nBcc: x")).Subject);
    }

    [Fact]
    public void Preheader_is_hidden_text_at_the_top_of_the_body()
    {
        var campaign = Compile(Markdown("The body", preheader: "Sale & more for {{ subscriber.name }}"));

        var html = Render(campaign, Recipient(name: "<Anna>")).Html;

        var preheader = html.IndexOf(">Sale &amp; more for &lt;Anna&gt;</div>", StringComparison.Ordinal);
        Assert.True(preheader > html.IndexOf("<body", StringComparison.Ordinal));
        Assert.True(preheader < html.IndexOf("The body", StringComparison.Ordinal));
        Assert.Contains("<div class=\"lupa-preheader\" style=\"display: none;", html);
    }

    [Fact]
    public void Preheader_finds_the_body_of_a_custom_layout_that_has_no_body_tag()
    {
        var layout = English with { CustomHtml = "<!DOCTYPE html><style>p { color: #123456; }</style>{{ content }}{{ footer }}" };

        var html = Render(Compile(Markdown("The body", preheader: "Preview"), layout)).Html;

        Assert.Matches(new Regex("<body><div class=\"lupa-preheader\"[^>]*>Preview</div><p style=\"color: #123456\">The body</p>"), html);
    }

    [Fact]
    public void Brand_colour_is_validated_and_used()
    {
        Assert.Equal("brandColour", CampaignTemplate.Compile(Markdown("Hi"), English with { BrandColour = "red" }).Code);
        Assert.Equal("brandColour", CampaignTemplate.Compile(Markdown("Hi"), English with { BrandColour = "#12345" }).Code);

        var html = Render(Compile(Markdown("[Shop](https://acme.test)"), English with { BrandColour = "#A1B2C3" })).Html;

        Assert.Contains("color: #A1B2C3", html);
    }

    [Fact]
    public void Unknown_body_format_language_and_empty_subject_are_refused()
    {
        Assert.Equal("bodyFormat", CampaignTemplate.Compile(new CampaignContent("c", "s", null, "b", "docx"), English).Code);
        Assert.Equal("subject", CampaignTemplate.Compile(Markdown("b", subject: " "), English).Code);
        Assert.Equal("language", CampaignTemplate.Compile(Markdown("b"), English with { Language = "sv" }).Code);
    }

    [Fact]
    public void Liquid_in_the_organisation_name_is_shown_not_run()
    {
        var message = Render(Compile(Markdown("Hi"), English with { OrganisationName = "{{ 7 | plus: 1 }} Oy" }));

        Assert.Contains("{{ 7 | plus: 1 }} Oy", message.Html);
        Assert.Contains("{{ 7 | plus: 1 }} Oy", message.Text);
    }

    [Fact]
    public void Campaign_and_organisation_names_are_available()
    {
        var text = Render(Compile(Markdown("{{ campaign.name }} by {{ organisation.name }}"))).Text;

        Assert.StartsWith("Spring by Acme Oy", text);
    }
}
