namespace Lupa.Hosting;

/// <summary>
/// Wakes a background sender when a request gave it work, so the work starts at once instead of at
/// the next poll. One notification covers any number made before the sender woke.
/// </summary>
public abstract class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Says there is work.</summary>
    public void Notify()
    {
        if (_signal.CurrentCount != 0)
            return;
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // another request woke the sender first
        }
    }

    /// <summary>Waits for a notification or the poll interval.</summary>
    public Task WaitAsync(TimeSpan poll, CancellationToken ct) => _signal.WaitAsync(poll, ct);

    /// <inheritdoc />
    public void Dispose()
    {
        _signal.Dispose();
        GC.SuppressFinalize(this);
    }
}
