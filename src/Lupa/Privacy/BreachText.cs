using System.Globalization;
using System.Text;
using Lupa.Domain;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>
/// The words of a breach in Finnish and English: the notice to the people it affects (Article 34) and the text for the
/// supervisory authority's notification form (Article 33(3)). What the officer wrote is used as written.
/// </summary>
public sealed class BreachText
{
    private BreachText()
    {
    }

    /// <summary>fi or en.</summary>
    public string Lang { get; private init; } = "en";

    /// <summary>The notice's subject; {0} is the organisation.</summary>
    public string NoticeSubject { get; private init; } = "";

    /// <summary>The first paragraph: a notice required by law, not marketing, sent whatever the person's subscriptions; {0} is the organisation.</summary>
    public string NoticeLegal { get; private init; } = "";

    /// <summary>When the organisation became aware; {0} the organisation, {1} the date.</summary>
    public string NoticeDiscovered { get; private init; } = "";

    /// <summary>Where to ask more; {0} is the contact.</summary>
    public string NoticeContact { get; private init; } = "";

    /// <summary>The authority form's heading.</summary>
    public string FormTitle { get; private init; } = "";

    /// <summary>The authority form's field labels, in the form's order.</summary>
    public string Controller { get; private init; } = "";
    public string Dpo { get; private init; } = "";
    public string Breach { get; private init; } = "";
    public string Discovered { get; private init; } = "";
    public string Began { get; private init; } = "";
    public string Nature { get; private init; } = "";
    public string SubjectCategories { get; private init; } = "";
    public string SubjectsApprox { get; private init; } = "";
    public string RecordCategories { get; private init; } = "";
    public string RecordsApprox { get; private init; } = "";
    public string Consequences { get; private init; } = "";
    public string Measures { get; private init; } = "";
    public string PeopleNotified { get; private init; } = "";
    public string Delay { get; private init; } = "";

    /// <summary>A value not known yet.</summary>
    public string NotKnown { get; private init; } = "";

    /// <summary>No notice to people yet.</summary>
    public string NotNotified { get; private init; } = "";

    /// <summary>{0} people were sent the notice on {1}.</summary>
    public string Notified { get; private init; } = "";

    /// <summary>The Finnish words.</summary>
    public static readonly BreachText Finnish = new()
    {
        Lang = "fi",
        NoticeSubject = "Tärkeä tiedote henkilötietojesi tietoturvaloukkauksesta – {0}",
        NoticeLegal = "Tämä on lakisääteinen tiedote, ei markkinointia. EU:n yleisen tietosuoja-asetuksen 34 artiklan mukaan {0} on velvollinen kertomaan sinulle henkilötietojen tietoturvaloukkauksesta, joka todennäköisesti aiheuttaa korkean riskin oikeuksillesi ja vapauksillesi. Saat tämän tiedotteen, vaikka olisit perunut viestien tilauksen.",
        NoticeDiscovered = "{0} havaitsi loukkauksen {1}.",
        NoticeContact = "Lisätietoja antaa: {0}",
        FormTitle = "Ilmoitus henkilötietojen tietoturvaloukkauksesta (tietosuoja-asetuksen 33 artikla)",
        Controller = "Rekisterinpitäjä",
        Dpo = "Tietosuojavastaava tai muu yhteyshenkilö",
        Breach = "Loukkaus",
        Discovered = "Loukkaus havaittiin",
        Began = "Loukkaus alkoi",
        Nature = "Loukkauksen luonne",
        SubjectCategories = "Rekisteröityjen ryhmät",
        SubjectsApprox = "Rekisteröityjen arvioitu lukumäärä",
        RecordCategories = "Henkilötietotietueiden ryhmät",
        RecordsApprox = "Henkilötietotietueiden arvioitu lukumäärä",
        Consequences = "Loukkauksen todennäköiset seuraukset",
        Measures = "Toteutetut ja ehdotetut toimenpiteet",
        PeopleNotified = "Ilmoitus rekisteröidyille",
        Delay = "Syyt ilmoituksen viivästymiseen",
        NotKnown = "ei vielä tiedossa",
        NotNotified = "ei vielä ilmoitettu",
        Notified = "tiedote lähetetty {0} henkilölle {1}",
    };

    /// <summary>The English words.</summary>
    public static readonly BreachText English = new()
    {
        Lang = "en",
        NoticeSubject = "Important notice about a breach of your personal data – {0}",
        NoticeLegal = "This is a notice required by law, not marketing. Under Article 34 of the EU General Data Protection Regulation, {0} must tell you about a personal data breach that is likely to result in a high risk to your rights and freedoms. You receive it even if you have unsubscribed from our messages.",
        NoticeDiscovered = "{0} became aware of the breach on {1}.",
        NoticeContact = "For more information, contact: {0}",
        FormTitle = "Notification of a personal data breach (GDPR Article 33)",
        Controller = "Controller",
        Dpo = "Data protection officer or other contact point",
        Breach = "Breach",
        Discovered = "Became aware of the breach",
        Began = "Breach began",
        Nature = "Nature of the breach",
        SubjectCategories = "Categories of data subjects",
        SubjectsApprox = "Approximate number of data subjects",
        RecordCategories = "Categories of personal data records",
        RecordsApprox = "Approximate number of personal data records",
        Consequences = "Likely consequences",
        Measures = "Measures taken or proposed",
        PeopleNotified = "Communication to data subjects",
        Delay = "Reasons for the delay",
        NotKnown = "not known yet",
        NotNotified = "not yet communicated",
        Notified = "notice sent to {0} people on {1}",
    };

    /// <summary>The words in a language (English for any but fi).</summary>
    public static BreachText For(string? language) => language == Languages.Finnish ? Finnish : English;

    /// <summary>A time as the form shows it, in the organisation's time zone.</summary>
    public static string Time(long ms, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), zone);
        return local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " (" + zone.Id + ")";
    }

    /// <summary>
    /// The text for the authority's notification form: every item of Article 33(3), the people told so far and, for a
    /// late notification, the reasons for the delay. Lines are "label: value", for pasting field by field.
    /// </summary>
    public string AuthorityForm(BreachRow b, string organisation, PrivacyNoticeContent notice, IReadOnlyList<BreachNoticeRow> notices, TimeZoneInfo zone, bool late)
    {
        string Or(string? value) => string.IsNullOrWhiteSpace(value) ? NotKnown : value.Trim();
        string Count(long? n) => n is { } v ? v.ToString("N0", CultureInfo.GetCultureInfo(Lang == "fi" ? "fi-FI" : "en-GB")) : NotKnown;
        var controller = string.IsNullOrWhiteSpace(notice.ControllerName) ? organisation : notice.ControllerName;
        if (!string.IsNullOrWhiteSpace(notice.ControllerContact))
            controller += ", " + notice.ControllerContact.Trim();
        var told = notices.Where(n => n.QueuedAt is not null || n.Status == "preparing").ToList();
        var people = told.Count == 0
            ? NotNotified
            : string.Join("; ", told.Select(n => string.Format(CultureInfo.InvariantCulture, Notified, n.Recipients, Time(n.CreatedAt, zone))));
        var text = new StringBuilder();
        text.Append(FormTitle).Append("\n\n");
        void Line(string label, string value) => text.Append(label).Append(": ").Append(value.ReplaceLineEndings(" ").Trim()).Append('\n');
        Line(Controller, controller);
        Line(Dpo, Or(b.DpoContact));
        Line(Breach, b.Title);
        Line(Discovered, Time(b.DiscoveredAt, zone));
        Line(Began, b.OccurredAt is { } o ? Time(o, zone) : NotKnown);
        Line(Nature, Or(b.Nature));
        Line(SubjectCategories, Or(b.SubjectCategories));
        Line(SubjectsApprox, Count(b.SubjectsApprox));
        Line(RecordCategories, Or(b.RecordCategories));
        Line(RecordsApprox, Count(b.RecordsApprox));
        Line(Consequences, Or(b.Consequences));
        Line(Measures, Or(b.Measures));
        Line(PeopleNotified, people);
        if (late)
            Line(Delay, Or(b.AuthorityReason));
        return text.ToString();
    }
}
