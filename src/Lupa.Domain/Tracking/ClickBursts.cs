namespace Lupa.Domain.Tracking;

/// <summary>One click as the burst rule sees it.</summary>
/// <param name="Message">The message it came from (campaign and the message's own random tag: no person).</param>
/// <param name="Link">The link.</param>
/// <param name="At">When, in Unix milliseconds.</param>
public readonly record struct BurstClick((long Campaign, uint Tag) Message, int Link, long At);

/// <summary>
/// "Clicks on many links at once": a link scanner follows every link of a message within a moment, a person does
/// not. A click is a machine's when the same message had clicks on <see cref="DistinctLinks"/> or more different
/// links within <see cref="Window"/> of it. So a click can only be judged once the window after it has passed.
/// </summary>
public static class ClickBursts
{
    /// <summary>How close together the clicks of a burst are.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>How many different links make a burst.</summary>
    public const int DistinctLinks = 3;

    /// <summary>
    /// For each click of one message (in any order), whether it is part of a burst. Clicks on fewer than
    /// <see cref="DistinctLinks"/> links in all are never one, which is the common case and costs one pass.
    /// </summary>
    public static bool[] Judge(IReadOnlyList<BurstClick> clicks)
    {
        var result = new bool[clicks.Count];
        var links = new HashSet<int>();
        foreach (var c in clicks)
        {
            links.Add(c.Link);
            if (links.Count >= DistinctLinks)
                break;
        }
        if (links.Count < DistinctLinks)
            return result;
        // In time order, with the clicks within the window on both sides of the current one counted per link.
        var window = (long)Window.TotalMilliseconds;
        var order = Enumerable.Range(0, clicks.Count).OrderBy(i => clicks[i].At).ToArray();
        var inWindow = new Dictionary<int, int>();
        int left = 0, right = 0;
        foreach (var i in order)
        {
            var at = clicks[i].At;
            for (; right < order.Length && clicks[order[right]].At <= at + window; right++)
                inWindow[clicks[order[right]].Link] = inWindow.GetValueOrDefault(clicks[order[right]].Link) + 1;
            for (; clicks[order[left]].At < at - window; left++)
            {
                var link = clicks[order[left]].Link;
                if (--inWindow[link] == 0)
                    inWindow.Remove(link);
            }
            result[i] = inWindow.Count >= DistinctLinks;
        }
        return result;
    }
}
