namespace Lupa.Outbox;

/// <summary>Wakes the outbox sender when a request queued mail, so a confirmation leaves at once instead of at the next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Says there is mail to send.</summary>
    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // another request woke the sender first
            }
        }
    }

    /// <summary>Waits for a notification or the poll interval.</summary>
    public Task WaitAsync(TimeSpan poll, CancellationToken ct) => _signal.WaitAsync(poll, ct);

    /// <inheritdoc />
    public void Dispose() => _signal.Dispose();
}
