namespace Lupa.Domain;

/// <summary>Writing values into the CSV files Lupa hands out (exports, import reports).</summary>
public static class CsvText
{
    /// <summary>
    /// One field: quoted when it holds a delimiter, quote or line break; a leading =, +, - or @ gets an
    /// apostrophe so a spreadsheet shows the text instead of running it as a formula.
    /// </summary>
    public static string Field(string s)
    {
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@')
            s = "'" + s;
        return s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}
