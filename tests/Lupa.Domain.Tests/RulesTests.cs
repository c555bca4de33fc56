using Lupa.Domain;

namespace Lupa.Domain.Tests;

public sealed class ConsentEvidenceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plausible_evidence_passes()
    {
        Assert.Null(ConsentEvidence.Problem(Now.AddDays(-3), "form", "https://acme.test/join", "192.0.2.1", Now));
        Assert.Null(ConsentEvidence.Problem(Now.AddYears(-5), "paper", "Fair 2021", null, Now));
        Assert.Null(ConsentEvidence.Problem(Now.AddMinutes(2), "api", "CRM", "2001:db8::1", Now));
    }

    [Theory]
    [InlineData(3, "form", "src", null, "timestamp")]
    [InlineData(-1, "telepathy", "src", null, "method")]
    [InlineData(-1, "", "src", null, "method")]
    [InlineData(-1, "form", "", null, "source")]
    [InlineData(-1, "form", "line\nbreak", null, "source")]
    [InlineData(-1, "form", "src", "not-an-ip", "ip")]
    public void Implausible_evidence_names_the_field(int days, string method, string source, string? ip, string field)
    {
        var problem = ConsentEvidence.Problem(Now.AddDays(days), method, source, ip, Now);
        Assert.NotNull(problem);
        Assert.Equal(field, problem.Value.Field);
    }

    [Fact]
    public void Missing_or_ancient_timestamps_are_refused()
    {
        Assert.Equal("timestamp", ConsentEvidence.Problem(null, "form", "s", null, Now)!.Value.Field);
        Assert.Equal("timestamp", ConsentEvidence.Problem(new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero), "form", "s", null, Now)!.Value.Field);
    }
}

public sealed class TextRulesTests
{
    [Theory]
    [InlineData("news")]
    [InlineData("a")]
    [InlineData("spring-2026")]
    [InlineData("0abc")]
    public void Good_slugs_pass(string slug) => Assert.Null(TextRules.SlugProblem(slug));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("News")]
    [InlineData("-news")]
    [InlineData("news-")]
    [InlineData("news letter")]
    [InlineData("uutiskirje-ä")]
    [InlineData("../etc")]
    public void Bad_slugs_are_refused(string? slug) => Assert.NotNull(TextRules.SlugProblem(slug));

    [Fact]
    public void Long_slugs_are_refused() => Assert.NotNull(TextRules.SlugProblem(new string('a', 65)));

    [Theory]
    [InlineData("Jane\r\nBcc: x")]
    [InlineData("Jane\n")]
    [InlineData("Ja\u0000ne")]
    [InlineData("Ja\u0007ne")]
    public void Single_line_values_refuse_line_breaks_and_control_characters(string value) =>
        Assert.NotNull(TextRules.SingleLineProblem(value, 100));

    [Fact]
    public void Single_line_values_keep_ordinary_text_and_markup_is_only_text()
    {
        Assert.Null(TextRules.SingleLineProblem("Matti Meikäläinen", 100));
        Assert.Null(TextRules.SingleLineProblem("<script>alert(1)</script>", 100));
        Assert.Null(TextRules.SingleLineProblem(null, 100));
        Assert.NotNull(TextRules.SingleLineProblem(new string('x', 101), 100));
    }
}

public sealed class ConsentWordingTests
{
    [Fact]
    public void The_hash_is_sha256_of_the_utf8_text()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ConsentWording.Hash(""));
        Assert.Equal(ConsentWording.Hash("Haluan uutiskirjeen."), ConsentWording.Hash("Haluan uutiskirjeen."));
        Assert.NotEqual(ConsentWording.Hash("Haluan uutiskirjeen."), ConsentWording.Hash("Haluan uutiskirjeen"));
        Assert.Equal(64, ConsentWording.Hash("ä").Length);
    }
}

public sealed class VocabularyTests
{
    [Fact]
    public void Only_fi_and_en_are_supported() =>
        Assert.Equal([true, true, false, false], new[] { "fi", "en", "sv", "" }.Select(Languages.IsSupported));

    [Fact]
    public void Viewers_and_privacy_officers_cannot_edit_lists()
    {
        Assert.False(Roles.CanEdit(Roles.Viewer));
        Assert.False(Roles.CanEdit(Roles.PrivacyOfficer));
        Assert.True(Roles.CanEdit(Roles.Marketer));
        Assert.False(Roles.CanAdminister(Roles.Marketer));
        Assert.True(Roles.CanAdminister(Roles.Owner));
        Assert.True(Roles.CanAdminister(Roles.Operator));
    }

    [Fact]
    public void Legal_bases_and_opt_in_modes_are_closed_sets()
    {
        Assert.True(LegalBases.IsKnown("consent"));
        Assert.True(LegalBases.IsKnown("customer"));
        Assert.False(LegalBases.IsKnown("legitimate_interest"));
        Assert.True(OptInModes.IsKnown("double"));
        Assert.False(OptInModes.IsKnown("none"));
    }
}

public sealed class PrivacyNoticeTests
{
    [Fact]
    public void The_default_notice_names_the_finnish_authority_and_round_trips()
    {
        var notice = PrivacyNoticeContent.DefaultFor("Acme Oy", "owner@acme.test");
        Assert.Null(notice.Problem());
        Assert.Contains("Data Protection Ombudsman", notice.AuthorityName);
        Assert.Equal(notice, PrivacyNoticeContent.FromJson(notice.ToJson()));
    }

    [Fact]
    public void A_notice_without_controller_or_authority_is_refused()
    {
        Assert.Equal("controllerName", new PrivacyNoticeContent { ControllerContact = "x" }.Problem()!.Value.Field);
        Assert.Equal("controllerContact", new PrivacyNoticeContent { ControllerName = "x" }.Problem()!.Value.Field);
        Assert.Equal("authorityContact", new PrivacyNoticeContent { ControllerName = "x", ControllerContact = "y", AuthorityContact = "" }.Problem()!.Value.Field);
        Assert.Equal("rights", new PrivacyNoticeContent { ControllerName = "x", ControllerContact = "y", Rights = new string('r', 9000) }.Problem()!.Value.Field);
    }
}

public sealed class CsvTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+358401234567", "'+358401234567")]
    [InlineData("@sum", "'@sum")]
    [InlineData("", "")]
    public void Fields_are_quoted_and_formulas_neutralised(string value, string expected) => Assert.Equal(expected, CsvText.Field(value));
}
