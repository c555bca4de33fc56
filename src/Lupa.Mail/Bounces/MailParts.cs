using MimeKit;
using MimeKit.Encodings;

namespace Lupa.Mail.Bounces;

/// <summary>
/// The parts of a report that matter, found in one pass of MimeKit's <see cref="MimeReader"/>: the
/// top-level headers, the machine-readable report (delivery status or feedback report), the headers of
/// the returned original (<c>message/rfc822</c> or <c>text/rfc822-headers</c>), and the first plain and
/// HTML text outside the original. Nothing else is kept.
/// </summary>
/// <remarks>
/// MimeKit's object model (MimeParser building a MimeMessage with every entity, address list, date and
/// a nested MimeMessage for the returned original) cost about 60 µs per report, four fifths of reading
/// one; the callback reader does the same MIME work without building what a report never needs. Its
/// parser, and the one that reads field groups, are kept per thread and reused.
/// </remarks>
internal sealed class MailParts
{
    private static readonly ParserOptions ParseOptions = new() { CharsetEncoding = System.Text.Encoding.UTF8 };

    [ThreadStatic]
    private static PartsReader? _reader;

    [ThreadStatic]
    private static MimeParser? _parser;

    private Captured? _text;
    private Captured? _html;
    private Captured? _deliveryStatus;
    private Captured? _feedbackReport;
    private Captured? _originalHeaderBytes;
    private HeaderList? _originalHeaders;
    private InternetAddressList? _from;
    private InternetAddressList? _to;

    /// <summary>The top-level headers.</summary>
    public HeaderList Headers { get; private set; } = [];

    /// <summary>Whether the report has a <c>message/delivery-status</c> part.</summary>
    public bool HasDeliveryStatus => _deliveryStatus is not null;

    /// <summary>Whether the report has a <c>message/feedback-report</c> part.</summary>
    public bool HasFeedbackReport => _feedbackReport is not null;

    /// <summary>The subject, decoded.</summary>
    public string Subject => Headers[HeaderId.Subject] ?? "";

    /// <summary>The From addresses.</summary>
    public InternetAddressList From => _from ??= Addresses(HeaderId.From);

    /// <summary>The To addresses.</summary>
    public InternetAddressList To => _to ??= Addresses(HeaderId.To);

    // Decoded only when asked: a machine-readable report never needs its notice's text.
    public string? Text => _text?.Decode();

    public string? Html => _html?.Decode();

    /// <summary>The delivery status's field groups: the message's first, then one per recipient.</summary>
    public List<HeaderList> DeliveryStatusGroups() => _deliveryStatus is null ? [] : FieldGroups(_deliveryStatus.Bytes(), 64);

    /// <summary>The feedback report's fields, or null.</summary>
    public HeaderList? FeedbackFields() => _feedbackReport is null ? null : FieldGroups(_feedbackReport.Bytes(), 1).FirstOrDefault();

    /// <summary>The returned original's headers (Message-ID, Return-Path, Feedback-ID), or null when the report has no copy.</summary>
    public HeaderList? OriginalHeaders =>
        _originalHeaders ??= _originalHeaderBytes is null ? null : FieldGroups(_originalHeaderBytes.Bytes(), 1).FirstOrDefault();

    /// <summary>Reads a raw message. Throws <see cref="FormatException"/> for something that is no message at all.</summary>
    public static MailParts Read(byte[] mime)
    {
        var reader = _reader ??= new PartsReader();
        var parts = new MailParts();
        reader.Start(parts, new MemoryStream(mime, writable: false));
        try
        {
            reader.ReadMessage();
        }
        finally
        {
            reader.Start(null, Stream.Null);
        }
        return parts;
    }

    /// <summary>Reads a parsed message (written out and read again: only for callers that have one already).</summary>
    public static MailParts Of(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return Read(stream.ToArray());
    }

    /// <summary>The header block at the start of some text (a copy of the original inside a text bounce).</summary>
    public static HeaderList? HeadersOf(string text) => FieldGroups(System.Text.Encoding.UTF8.GetBytes(text), 1).FirstOrDefault();

    // Groups of header fields separated by blank lines (RFC 3464 and RFC 5965 use the header syntax).
    private static List<HeaderList> FieldGroups(byte[] content, int max)
    {
        var groups = new List<HeaderList>();
        var parser = _parser ??= new MimeParser(ParseOptions, Stream.Null);
        parser.SetStream(new MemoryStream(content, writable: false), MimeFormat.Entity, persistent: false);
        try
        {
            while (groups.Count < max && !parser.IsEndOfStream)
            {
                var fields = parser.ParseHeaders();
                if (fields.Count == 0)
                    break;
                groups.Add(fields);
            }
        }
        catch (FormatException)
        {
            // what could be read is kept
        }
        finally
        {
            parser.SetStream(Stream.Null, MimeFormat.Entity, persistent: false);
        }
        return groups;
    }

    private InternetAddressList Addresses(HeaderId id)
    {
        var value = Headers[id];
        return value is not null && InternetAddressList.TryParse(ParseOptions, value, out var list) ? list : [];
    }

    /// <summary>A part's content as it was in the message, with what is needed to decode it.</summary>
    private sealed class Captured(string? transferEncoding, System.Text.Encoding? charset)
    {
        private byte[] _raw = new byte[512];
        private int _length;

        public void Add(byte[] buffer, int start, int length)
        {
            if (_length + length > _raw.Length)
                Array.Resize(ref _raw, Math.Max(_raw.Length * 2, _length + length));
            Buffer.BlockCopy(buffer, start, _raw, _length, length);
            _length += length;
        }

        public byte[] Bytes()
        {
            var raw = _raw;
            var length = _length;
            IMimeDecoder? decoder = transferEncoding switch
            {
                "base64" => new Base64Decoder(),
                "quoted-printable" => new QuotedPrintableDecoder(),
                _ => null,
            };
            if (decoder is null)
                return raw.AsSpan(0, length).ToArray();
            var output = new byte[decoder.EstimateOutputLength(length)];
            var n = decoder.Decode(raw, 0, length, output);
            return output.AsSpan(0, n).ToArray();
        }

        public string Decode()
        {
            var bytes = Bytes();
            if (charset is not null)
                return charset.GetString(bytes);
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (System.Text.DecoderFallbackException)
            {
                return System.Text.Encoding.Latin1.GetString(bytes);
            }
        }

        private static readonly System.Text.Encoding StrictUtf8 = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true);
    }

    /// <summary>The callback reader: keeps what <see cref="MailParts"/> wants and skips the rest.</summary>
    private sealed class PartsReader() : MimeReader(ParseOptions, Stream.Null, MimeFormat.Entity)
    {
        private MailParts? _parts;
        private HeaderList _headers = [];
        private HeaderList? _last;
        private bool _topLevel;
        private int _messageParts;
        private bool _originalNext;
        private Captured? _capture;

        public void Start(MailParts? parts, Stream stream)
        {
            _parts = parts;
            _last = null;
            _topLevel = true;
            _messageParts = 0;
            _originalNext = false;
            _capture = null;
            SetStream(stream, MimeFormat.Entity);
        }

        protected override void OnHeadersBegin(long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => _headers = [];

        protected override void OnHeaderRead(Header header, int beginLineNumber, CancellationToken cancellationToken) => _headers.Add(header);

        protected override void OnHeadersEnd(long headersBeginOffset, int headersBeginLineNumber, long headersEndOffset, int headersEndLineNumber, CancellationToken cancellationToken)
        {
            _last = _headers;
            if (_topLevel)
            {
                _parts!.Headers = _headers;
                _topLevel = false;
            }
            else if (_originalNext)
            {
                _parts!._originalHeaders = _headers;
                _originalNext = false;
            }
        }

        protected override void OnMessagePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
        {
            _messageParts++;
            if (_messageParts == 1 && _parts!._originalHeaders is null && _parts._originalHeaderBytes is null)
                _originalNext = true;
        }

        protected override void OnMessagePartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken)
        {
            _messageParts--;
            _originalNext = false;
        }

        protected override void OnMimePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
        {
            _capture = null;
            // Nothing inside the returned original is the report's own.
            if (_messageParts > 0 || _parts is null)
                return;
            var p = _parts;
            var encoding = _last?[HeaderId.ContentTransferEncoding]?.Trim().ToLowerInvariant();
            if (contentType.IsMimeType("message", "delivery-status") || contentType.IsMimeType("message", "global-delivery-status"))
                _capture = p._deliveryStatus ??= new Captured(encoding, null);
            else if (contentType.IsMimeType("message", "feedback-report"))
                _capture = p._feedbackReport ??= new Captured(encoding, null);
            else if (contentType.IsMimeType("text", "rfc822-headers") || contentType.IsMimeType("message", "rfc822-headers"))
            {
                if (p._originalHeaders is null && p._originalHeaderBytes is null)
                    _capture = p._originalHeaderBytes = new Captured(encoding, null);
            }
            else if (contentType.IsMimeType("text", "plain"))
            {
                if (p._text is null)
                    _capture = p._text = new Captured(encoding, Charset(contentType));
            }
            else if (contentType.IsMimeType("text", "html"))
            {
                if (p._html is null)
                    _capture = p._html = new Captured(encoding, Charset(contentType));
            }
        }

        protected override void OnMimePartContentRead(byte[] content, int startIndex, int count, CancellationToken cancellationToken) =>
            _capture?.Add(content, startIndex, count);

        protected override void OnMimePartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken) =>
            _capture = null;

        private static System.Text.Encoding? Charset(ContentType contentType)
        {
            try
            {
                return contentType.Charset is null ? null : contentType.CharsetEncoding;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return null;
            }
        }
    }
}
