namespace Lupa.Domain.Tracking;

/// <summary>
/// A message's tag seen for a campaign, a kind, a link (0 for opens) and human or machine: what a unique open or
/// click is counted from. The tag is random per message and names no one.
/// </summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Kind">Open or click.</param>
/// <param name="LinkId">The link of a click; 0 for an open.</param>
/// <param name="Machine">Whether the open or click was a machine's.</param>
/// <param name="Tag">The message's random tag.</param>
public readonly record struct SeenTag(long CampaignId, TrackingKind Kind, int LinkId, bool Machine, uint Tag);

/// <summary>
/// The tags of one batch of opens and clicks, each once. One recipient gets one message of a campaign, so the
/// distinct tags seen are the recipients who opened or clicked, with no person known. The rules:
/// <list type="bullet">
/// <item>opens and clicks count; an unsubscribe does not (it is counted once per person already), nor a hit
/// without a tag (0);</item>
/// <item>human and machine are kept apart: unique human opens are the messages with at least one human open,
/// unique machine opens those with at least one machine open, and a message opened by an image proxy and then
/// by its reader is in both;</item>
/// <item>a click is kept per link: unique clicks on a link are the messages with a human click on it, unique
/// clicks overall the messages with a human click on any link.</item>
/// </list>
/// </summary>
public sealed class UniqueTags
{
    private readonly HashSet<SeenTag> _seen = [];

    /// <summary>Distinct tags held.</summary>
    public int Count => _seen.Count;

    /// <summary>Whether a hit of this kind and tag is counted among the unique ones.</summary>
    public static bool Counts(TrackingKind kind, uint tag) => tag != 0 && kind is TrackingKind.Open or TrackingKind.Click;

    /// <summary>Adds a hit's tag; false when it does not count or the batch has it already.</summary>
    public bool Add(long campaignId, TrackingKind kind, int linkId, bool machine, uint tag) =>
        Counts(kind, tag) && _seen.Add(new SeenTag(campaignId, kind, kind == TrackingKind.Click ? linkId : 0, machine, tag));

    /// <summary>
    /// The tags in key order (campaign, kind, link, machine, tag): the order the table's key has, so that two
    /// nodes' batches take PostgreSQL's index locks in the same order and cannot deadlock.
    /// </summary>
    public List<SeenTag> InKeyOrder()
    {
        var list = _seen.ToList();
        list.Sort(static (a, b) =>
        {
            var c = a.CampaignId.CompareTo(b.CampaignId);
            if (c == 0)
                c = a.Kind.CompareTo(b.Kind);
            if (c == 0)
                c = a.LinkId.CompareTo(b.LinkId);
            if (c == 0)
                c = a.Machine.CompareTo(b.Machine);
            return c != 0 ? c : a.Tag.CompareTo(b.Tag);
        });
        return list;
    }

    /// <summary>Forgets the tags (once they are written).</summary>
    public void Clear() => _seen.Clear();
}
