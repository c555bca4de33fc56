namespace Lupa.Domain.Tracking;

/// <summary>What a tracking count or event is about (stored as a small number).</summary>
public enum TrackingKind : byte
{
    /// <summary>The open pixel was fetched.</summary>
    Open = 1,

    /// <summary>A link was followed through /t/c/.</summary>
    Click = 2,

    /// <summary>The recipient unsubscribed through the campaign's own unsubscribe link.</summary>
    Unsubscribe = 3,
}
