using System.Security.Cryptography;
using System.Text;

namespace Lupa.Domain;

/// <summary>Facts about the exact text a person agreed to.</summary>
public static class ConsentWording
{
    /// <summary>Longest wording a list may show.</summary>
    public const int MaxLength = 4000;

    /// <summary>The SHA-256 of the wording's UTF-8 bytes, lower-case hex: proof the text was not changed later.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
