namespace Lupa.Domain;

/// <summary>A value, or the reason there is none: for errors a user can cause.</summary>
public readonly record struct Outcome<T>
{
    private Outcome(T? value, string? code, string? reason)
    {
        Value = value;
        Code = code;
        Reason = reason;
    }

    /// <summary>The value when <see cref="IsOk"/>.</summary>
    public T? Value { get; }

    /// <summary>A short machine-readable code for the failure.</summary>
    public string? Code { get; }

    /// <summary>A sentence for a person.</summary>
    public string? Reason { get; }

    /// <summary>True when there is a value.</summary>
    public bool IsOk => Code is null;

    /// <summary>Success.</summary>
    public static Outcome<T> Ok(T value) => new(value, null, null);

    /// <summary>Failure with a code and a reason.</summary>
    public static Outcome<T> Fail(string code, string reason) => new(default, code, reason);
}
