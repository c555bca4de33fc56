using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Lupa.Imports;

/// <summary>
/// Runs an enumeration on a thread of its own and hands its items over in chunks through a bounded
/// channel, so one stage of the import (reading the CSV, the row rules) works on one core while the
/// next (the check, the database) works on the other. Memory stays bounded by the channel.
/// Dispose it (or finish reading) to stop the thread; an exception of the source reaches the reader.
/// </summary>
internal sealed class Pipe<T> : IEnumerable<T>, IAsyncDisposable
{
    private const int ChunkSize = 512;
    private readonly Channel<T[]> _channel = Channel.CreateBounded<T[]>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;

    /// <summary>Starts reading <paramref name="source"/> on its own thread.</summary>
    public Pipe(IEnumerable<T> source, CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _producer = Task.Factory.StartNew(() => Produce(source), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Produce(IEnumerable<T> source)
    {
        var writer = _channel.Writer;
        try
        {
            var chunk = new List<T>(ChunkSize);
            foreach (var item in source)
            {
                chunk.Add(item);
                if (chunk.Count == ChunkSize)
                {
                    Write(chunk.ToArray());
                    chunk.Clear();
                }
            }
            if (chunk.Count > 0)
                Write(chunk.ToArray());
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }

        void Write(T[] items)
        {
            while (!writer.TryWrite(items))
            {
                if (!writer.WaitToWriteAsync(_stop.Token).AsTask().GetAwaiter().GetResult())
                    throw new ChannelClosedException();
            }
        }
    }

    /// <summary>The items, read by a thread that may block (another pipe's producer).</summary>
    public IEnumerator<T> GetEnumerator()
    {
        var reader = _channel.Reader;
        while (reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var items))
            {
                foreach (var item in items)
                    yield return item;
            }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The items, read asynchronously.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(ct))
        {
            while (reader.TryRead(out var items))
            {
                foreach (var item in items)
                    yield return item;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _channel.Writer.TryComplete();
        try
        {
            await _producer;
        }
        catch (OperationCanceledException)
        {
            // stopped on purpose
        }
        _stop.Dispose();
    }
}
