namespace Lupa.Mail;

/// <summary>
/// The lines of text whose lines end with LF or CRLF: each line without its line end, and whether
/// a line end followed it (only the last line may have none). A CR is part of the line unless an LF follows it.
/// Empty text has no lines; text ending with a line end has no empty line after it. With
/// <paramref name="endEndsLine"/> the end of the text ends the last line as a line end would (a CR before it
/// included): for writers that end every line they write with CRLF.
/// </summary>
public ref struct TextLines(ReadOnlySpan<byte> text, bool endEndsLine = false)
{
    private ReadOnlySpan<byte> _rest = text;

    /// <summary>The current line, without its line end.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>Whether a line end followed <see cref="Current"/>.</summary>
    public bool Ended { get; private set; }

    /// <summary>For <c>foreach</c> over the lines alone; to read <see cref="Ended"/>, call <see cref="MoveNext"/> on this value.</summary>
    public readonly TextLines GetEnumerator() => this;

    /// <summary>Moves to the next line.</summary>
    public bool MoveNext()
    {
        if (_rest.IsEmpty)
            return false;
        var lf = _rest.IndexOf((byte)'\n');
        var line = lf >= 0 ? _rest[..lf] : _rest;
        _rest = lf >= 0 ? _rest[(lf + 1)..] : default;
        Ended = lf >= 0 || endEndsLine;
        Current = Ended && line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
        return true;
    }
}
