using Lupa.Hosting;

namespace Lupa.Outbox;

/// <summary>Wakes the outbox sender when a request queued mail, so a confirmation leaves at once instead of at the next poll.</summary>
public sealed class OutboxSignal : WakeSignal;
