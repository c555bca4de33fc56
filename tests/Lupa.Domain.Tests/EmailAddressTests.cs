using Lupa.Domain;

namespace Lupa.Domain.Tests;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("  Jane.Doe@Example.COM ", "Jane.Doe@example.com")]
    [InlineData("a@b.fi", "a@b.fi")]
    [InlineData("first+tag@sub.example.org", "first+tag@sub.example.org")]
    [InlineData("user@BÜCHER.example", "user@xn--bcher-kva.example")]
    [InlineData("matti@äänekoski.fi", "matti@xn--nekoski-4waa.fi")]
    [InlineData("o'brien@example.ie", "o'brien@example.ie")]
    [InlineData("trailing@example.com.", "trailing@example.com")]
    public void Valid_addresses_are_trimmed_and_their_domain_normalised(string input, string expected)
    {
        var parsed = EmailAddress.Parse(input);
        Assert.True(parsed.IsOk, parsed.Reason);
        Assert.Equal(expected, parsed.Value!.Value);
    }

    [Fact]
    public void The_local_part_keeps_its_case()
    {
        Assert.Equal("MiXeD", EmailAddress.Parse("MiXeD@Example.com").Value!.LocalPart);
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("plainaddress", "missing_at")]
    [InlineData("@example.com", "missing_at")]
    [InlineData("user@", "missing_at")]
    [InlineData("user@localhost", "invalid_domain")]
    [InlineData("user@-bad.example", "invalid_domain")]
    [InlineData("user@exa mple.com", "whitespace")]
    [InlineData("us er@example.com", "whitespace")]
    [InlineData("user@example.com\r\nBcc: x@example.com", "control_characters")]
    [InlineData("user\n@example.com", "control_characters")]
    [InlineData(".dot@example.com", "invalid_local_part")]
    [InlineData("do..t@example.com", "invalid_local_part")]
    [InlineData("a<b>@example.com", "invalid_local_part")]
    [InlineData("a\"b@example.com", "invalid_local_part")]
    [InlineData("user@exa_mple.com", "invalid_domain")]
    public void Invalid_addresses_are_refused_with_a_reason(string? input, string code)
    {
        var parsed = EmailAddress.Parse(input);
        Assert.False(parsed.IsOk);
        Assert.Equal(code, parsed.Code);
        Assert.False(string.IsNullOrWhiteSpace(parsed.Reason));
    }

    [Fact]
    public void Overlong_addresses_are_refused()
    {
        Assert.Equal("too_long", EmailAddress.Parse(new string('a', 300) + "@example.com").Code);
        Assert.Equal("local_part_too_long", EmailAddress.Parse(new string('a', 65) + "@example.com").Code);
        Assert.Equal("invalid_domain", EmailAddress.Parse("a@" + new string('b', 64) + ".com").Code);
    }

    [Fact]
    public void Equal_inputs_normalise_to_equal_addresses()
    {
        Assert.Equal(EmailAddress.Parse("x@EXAMPLE.com").Value, EmailAddress.Parse(" x@example.COM").Value);
        Assert.NotEqual(EmailAddress.Parse("X@example.com").Value, EmailAddress.Parse("x@example.com").Value);
    }
}
