using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Lupa.Security;

/// <summary>API keys: shown once, stored as a SHA-256 hash (they carry 192 random bits, so no slow hash is needed).</summary>
public static class ApiKeys
{
    /// <summary>Makes a new key; returns the key to show, its visible prefix and the hash to store.</summary>
    public static (string Key, string Prefix, string Hash) Create()
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var key = "lupa_" + prefix + "_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        return (key, prefix, Hash(key));
    }

    /// <summary>The stored form of a key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

/// <summary>Password hashing with ASP.NET Core Identity's PBKDF2 hasher.</summary>
public static class Passwords
{
    private static readonly PasswordHasher<object> Hasher = new();

    /// <summary>Hashes a password.</summary>
    public static string Hash(string password) => Hasher.HashPassword(Hasher, password);

    /// <summary>Checks a password against a stored hash.</summary>
    public static bool Verify(string hash, string password) =>
        !string.IsNullOrEmpty(hash) && Hasher.VerifyHashedPassword(Hasher, hash, password) != PasswordVerificationResult.Failed;

    /// <summary>A random password people can type.</summary>
    public static string Generate() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
}
