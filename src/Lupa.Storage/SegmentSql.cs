using System.Globalization;
using System.Text;
using Dapper;
using Lupa.Domain.Campaigns;

namespace Lupa.Storage;

/// <summary>
/// Turns a <see cref="Segment"/> into a SQL condition that selects exactly the rows
/// <see cref="Segment.Matches"/> accepts, on SQLite and PostgreSQL. Every value, pattern and
/// attribute name travels as a parameter; only fixed SQL and the caller's table aliases are written
/// into the text.
/// </summary>
public static class SegmentSql
{
    /// <summary>
    /// A boolean SQL expression over a subscriber row (alias <paramref name="subscriberAlias"/>) and a
    /// subscription row (alias <paramref name="subscriptionAlias"/>): "1=1" for the empty segment, else
    /// one parenthesised condition that is never NULL. Its values are added to
    /// <paramref name="parameters"/> as @seg0, @seg1, … (skipping names already there).
    /// </summary>
    public static string Where(Segment segment, DatabaseProvider provider, DynamicParameters parameters, long nowMs, string subscriberAlias = "p", string subscriptionAlias = "s")
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentNullException.ThrowIfNull(parameters);
        CheckAlias(subscriberAlias, nameof(subscriberAlias));
        CheckAlias(subscriptionAlias, nameof(subscriptionAlias));
        if (segment.IsEmpty)
            return "1=1";
        var writer = new Writer(provider, parameters, nowMs, subscriberAlias, subscriptionAlias);
        var parts = segment.Conditions.Select(writer.Condition);
        return "(" + string.Join(segment.Match == SegmentMatch.All ? " AND " : " OR ", parts) + ")";
    }

    private static void CheckAlias(string alias, string name)
    {
        if (string.IsNullOrEmpty(alias) || !(char.IsAsciiLetter(alias[0]) || alias[0] == '_') || !alias.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"'{alias}' is not a plain table alias.", name);
    }

    /// <summary>Escapes LIKE's wildcards and the escape character itself, for ESCAPE '\'.</summary>
    internal static string EscapeLike(string text)
    {
        var b = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '%' or '_')
                b.Append('\\');
            b.Append(c);
        }
        return b.ToString();
    }

    private sealed class Writer(DatabaseProvider provider, DynamicParameters parameters, long nowMs, string p, string s)
    {
        private readonly HashSet<string> _names = new(parameters.ParameterNames, StringComparer.OrdinalIgnoreCase);
        private int _next;

        private bool Sqlite => provider == DatabaseProvider.Sqlite;

        private string Add(object value)
        {
            string name;
            do
                name = "seg" + (_next++).ToString(CultureInfo.InvariantCulture);
            while (!_names.Add(name));
            parameters.Add(name, value);
            return "@" + name;
        }

        public string Condition(SegmentCondition c)
        {
            if (c.IsDate)
            {
                var column = c.Field switch
                {
                    SegmentFields.SubscriberCreatedAt => $"{p}.created_at",
                    SegmentFields.SubscriptionCreatedAt => $"{s}.created_at",
                    _ => $"{s}.confirmed_at",
                };
                var compare = c.Op switch
                {
                    SegmentOps.Before => "< " + Add(c.InstantMs!.Value),
                    SegmentOps.After => "> " + Add(c.InstantMs!.Value),
                    SegmentOps.WithinDays => ">= " + Add(c.DaysThresholdMs(nowMs)),
                    _ => "< " + Add(c.DaysThresholdMs(nowMs)),
                };
                // A missing date satisfies nothing, and the IS NOT NULL keeps the result from being NULL.
                return $"({column} IS NOT NULL AND {column} {compare})";
            }

            var text = Text(c);
            switch (c.Op)
            {
                case SegmentOps.IsSet:
                    return $"{text} <> ''";
                case SegmentOps.IsNotSet:
                    return $"{text} = ''";
                case SegmentOps.Gt or SegmentOps.Lt:
                    return Number(text, c.Op == SegmentOps.Gt ? ">" : "<", c.Number!.Value);
            }
            var folded = Sqlite ? $"lower({text})" : $"lower(({text}) COLLATE \"C\")";
            var value = c.FoldedValue;
            return c.Op switch
            {
                SegmentOps.Eq => $"{folded} = {Add(value)}",
                SegmentOps.Neq => $"{folded} <> {Add(value)}",
                SegmentOps.Contains => $"{folded} LIKE {Add("%" + EscapeLike(value) + "%")} ESCAPE '\\'",
                SegmentOps.NotContains => $"{folded} NOT LIKE {Add("%" + EscapeLike(value) + "%")} ESCAPE '\\'",
                SegmentOps.StartsWith => $"{folded} LIKE {Add(EscapeLike(value) + "%")} ESCAPE '\\'",
                _ => $"{folded} LIKE {Add("%" + EscapeLike(value))} ESCAPE '\\'",
            };
        }

        // The field as text, never NULL: a missing attribute is ''. The attribute name is a parameter
        // (SQLite: a JSON path with the name quoted; the name cannot contain '"' or '\').
        private string Text(SegmentCondition c) => c.Field switch
        {
            SegmentFields.Email => $"{p}.email",
            SegmentFields.Name => $"{p}.name",
            SegmentFields.Language => $"{p}.language",
            _ => Sqlite
                ? $"COALESCE(json_extract({p}.attributes, {Add("$.\"" + c.AttributeKey + "\"")}), '')"
                : $"COALESCE(({p}.attributes::jsonb ->> {Add(c.AttributeKey!)}), '')",
        };

        // Only text shaped like -?digits(.digits)? of at most 100 characters is a number, as in
        // Segment.TryParseNumber. CASE, not AND, so PostgreSQL never casts text that is no number.
        private string Number(string text, string compare, double number)
        {
            var isNumber = Sqlite
                ? $"({text} GLOB '[0-9]*' OR {text} GLOB '-[0-9]*') AND {text} NOT GLOB '?*[^0-9.]*' AND {text} NOT GLOB '*.*.*' AND {text} NOT GLOB '*.' AND length({text}) <= {Segment.MaxNumberLength}"
                : $"{text} ~ '^-?[0-9]+([.][0-9]+)?$' AND length({text}) <= {Segment.MaxNumberLength}";
            var cast = Sqlite ? "REAL" : "double precision";
            return $"(CASE WHEN {isNumber} THEN CAST({text} AS {cast}) {compare} {Add(number)} ELSE 1=0 END)";
        }
    }
}
