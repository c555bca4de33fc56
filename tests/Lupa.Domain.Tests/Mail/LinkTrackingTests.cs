using System.Text.RegularExpressions;
using Lupa.Mail.Templates;

namespace Lupa.Domain.Tests.Mail;

public sealed class LinkTrackingTests
{
    private static readonly OrganisationLayout Layout = new("Acme Oy", "Mannerheimintie 1\n00100 Helsinki", "en");

    private sealed class Tracking : RecipientTracking
    {
        public override string ClickUrl(TrackedLink link) => $"https://lupa.test/t/c/{link.Id}";

        public override string OpenPixelUrl => "https://lupa.test/t/o/pixel";
    }

    private static RecipientValues Recipient(bool tracked) =>
        new("Anna", "anna@example.test", "en", new Dictionary<string, string> { ["id"] = "42" },
            "https://lupa.test/u/anna", "https://lupa.test/p/anna", "https://lupa.test/notice/acme", "https://lupa.test/privacy/acme")
        {
            Tracking = tracked ? new Tracking() : null,
        };

    private static CompiledCampaign Compile(string body, string format = BodyFormats.Markdown)
    {
        var compiled = CampaignTemplate.Compile(new CampaignContent("Spring", "Spring news", null, body, format), Layout);
        Assert.True(compiled.IsOk, compiled.Reason);
        return compiled.Value!;
    }

    private static string Html(CompiledCampaign campaign, bool tracked)
    {
        var rendered = campaign.Render(Recipient(tracked));
        Assert.True(rendered.IsOk, rendered.Reason);
        return rendered.Value!.Html;
    }

    private static string[] Hrefs(string html) => Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();

    [Fact]
    public void Plain_links_go_through_the_redirect_and_the_pixel_closes_the_body_of_a_tracked_message_only()
    {
        var campaign = Compile("[Beans](https://roastery.test/beans?a=1&b=2) and [story](https://roastery.test/story), [beans again](https://roastery.test/beans?a=1&b=2)");
        Assert.Equal(["https://roastery.test/beans?a=1&b=2", "https://roastery.test/story"], campaign.TrackedLinks.Select(l => l.Url).ToArray());
        Assert.Equal(TrackedLink.IdOf("https://roastery.test/beans?a=1&b=2"), campaign.TrackedLinks[0].Id);

        var tracked = Html(campaign, tracked: true);
        var beans = $"https://lupa.test/t/c/{campaign.TrackedLinks[0].Id}";
        Assert.Equal(2, Hrefs(tracked).Count(h => h == beans));
        Assert.Contains($"https://lupa.test/t/c/{campaign.TrackedLinks[1].Id}", Hrefs(tracked));
        Assert.DoesNotContain(Hrefs(tracked), h => h.StartsWith("https://roastery.test", StringComparison.Ordinal));
        Assert.Matches(@"<img src=""https://lupa.test/t/o/pixel""[^>]*>\s*</body>", tracked);

        var plain = Html(campaign, tracked: false);
        Assert.Contains("https://roastery.test/beans?a=1&amp;b=2", Hrefs(plain));
        Assert.DoesNotContain("/t/", plain);
        Assert.DoesNotContain("lupa_track", plain);
    }

    [Fact]
    public void Liquid_links_the_footers_links_other_schemes_anchors_and_marked_links_stay_as_written()
    {
        var campaign = Compile(
            """
            <p><a href="https://shop.test/?id={{ subscriber.attributes.id }}">yours</a>
            <a href="mailto:hello@acme.test">mail</a> <a href="tel:+358401234567">call</a> <a href="#top">top</a>
            <a href="/relative">relative</a> <a data-lupa-notrack href="https://private.test/">private</a>
            <a href='https://single.test/q'>single</a></p>
            """, BodyFormats.Html);
        var html = Html(campaign, tracked: true);
        Assert.Contains("https://shop.test/?id=42", Hrefs(html));
        Assert.Contains("mailto:hello@acme.test", Hrefs(html));
        Assert.Contains("tel:+358401234567", Hrefs(html));
        Assert.Contains("#top", Hrefs(html));
        Assert.Contains("/relative", Hrefs(html));
        Assert.Contains("https://private.test/", Hrefs(html));
        Assert.Contains("https://lupa.test/u/anna", Hrefs(html));
        Assert.Contains("https://lupa.test/p/anna", Hrefs(html));
        Assert.Contains("https://lupa.test/notice/acme", Hrefs(html));
        Assert.Contains("https://lupa.test/privacy/acme", Hrefs(html));
        Assert.Equal(["https://single.test/q"], campaign.TrackedLinks.Select(l => l.Url).ToArray());
        // The text part is never rewritten.
        Assert.DoesNotContain("/t/", campaign.Render(Recipient(tracked: true)).Value!.Text);
    }

    [Fact]
    public void A_link_with_letters_beyond_ascii_is_tracked_in_its_ascii_form()
    {
        var campaign = Compile("""<p><a href="https://kähvilä.fi/pääsivu?maku=tumma#ö">Kahvila</a></p>""", BodyFormats.Html);
        Assert.Equal("https://xn--khvil-grae.fi/p%C3%A4%C3%A4sivu?maku=tumma#%C3%B6", Assert.Single(campaign.TrackedLinks).Url);
    }
}
