using System.Xml.Linq;
using Lupa.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Lupa.Hosting;

/// <summary>
/// Keeps Data Protection keys in Lupa's database. ASP.NET Core's key manager calls this interface
/// synchronously, so the store's calls block; they run once at start and when a key rotates.
/// </summary>
public sealed class DatabaseKeyRepository(DataProtectionKeyStore store, TimeProvider clock) : IXmlRepository
{
    /// <inheritdoc />
    public IReadOnlyCollection<XElement> GetAllElements() => store.All().Select(x => XElement.Parse(x)).ToList();

    /// <inheritdoc />
    public void StoreElement(XElement element, string friendlyName) =>
        store.Add(friendlyName, element.ToString(SaveOptions.DisableFormatting), clock.GetUtcNow().ToUnixTimeMilliseconds());
}
