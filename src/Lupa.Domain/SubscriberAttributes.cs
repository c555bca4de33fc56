using System.Text.Json;

namespace Lupa.Domain;

/// <summary>A subscriber's free attributes, stored as a JSON object.</summary>
public static class SubscriberAttributes
{
    /// <summary>Reads the stored JSON: strings as they are, other values as their JSON text; anything but an object reads as none.</summary>
    public static Dictionary<string, string> Parse(string? json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json) || json == "{}")
            return result;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return result;
            foreach (var p in doc.RootElement.EnumerateObject())
                result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }
        catch (JsonException)
        {
            // attributes are written by Lupa as JSON objects; anything else reads as none
        }
        return result;
    }
}
