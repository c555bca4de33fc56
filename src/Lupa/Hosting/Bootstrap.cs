using Lupa.Security;
using Lupa.Storage;

namespace Lupa.Hosting;

/// <summary>First-start work: the operator account.</summary>
public static class Bootstrap
{
    /// <summary>Creates the operator on first start and prints how to log in; applies a configured password.</summary>
    public static async Task EnsureOperatorAsync(LupaDatabase db, LupaOptions options, TextWriter console, TimeProvider clock)
    {
        var store = new SystemStore(db);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!string.IsNullOrEmpty(options.Operator.Password))
        {
            await store.SetOperatorAsync(options.Operator.Email, Passwords.Hash(options.Operator.Password), now);
            return;
        }
        if (await store.OperatorExistsAsync())
            return;
        var password = Passwords.Generate();
        await store.SetOperatorAsync(options.Operator.Email, Passwords.Hash(password), now);
        await console.WriteLineAsync($"""

            Lupa created the operator account. Log in at {options.PublicUrl.TrimEnd('/')}/admin with
              email:    {options.Operator.Email}
              password: {password}
            This password is shown once. Set a new one with: lupa operator password

            """);
    }
}
