using System.Globalization;
using Lupa.Domain.Privacy;

namespace Lupa.Privacy;

/// <summary>The words of the request page and of the mails to the data subject, in Finnish and English.</summary>
public sealed class PrivacyText
{
    private PrivacyText() { }

    /// <summary>Texts for a language; English for anything but Finnish.</summary>
    public static PrivacyText For(string? language) => language == "fi" ? Finnish : English;

    public string Lang { get; private init; } = "en";
    public string Title { get; private init; } = "";
    public string Intro { get; private init; } = "";
    public string Email { get; private init; } = "";
    public string Choose { get; private init; } = "";
    public string Access { get; private init; } = "";
    public string Portability { get; private init; } = "";
    public string Rectification { get; private init; } = "";
    public string Erasure { get; private init; } = "";
    public string Restriction { get; private init; } = "";
    public string ObjectionMarketing { get; private init; } = "";
    public string ObjectionProfiling { get; private init; } = "";
    public string CorrectionLabel { get; private init; } = "";
    public string DetailsLabel { get; private init; } = "";
    public string Send { get; private init; } = "";
    public string ChooseRequired { get; private init; } = "";
    public string CorrectionRequired { get; private init; } = "";
    public string TooLong { get; private init; } = "";
    public string CheckInbox { get; private init; } = "";
    public string CheckInboxBody { get; private init; } = "";
    public string VerifySubject { get; private init; } = "";
    public string VerifyIntro { get; private init; } = "";
    public string VerifyButton { get; private init; } = "";
    public string VerifyIgnore { get; private init; } = "";
    public string Verified { get; private init; } = "";
    public string VerifiedBody { get; private init; } = "";
    public string VerifiedReport { get; private init; } = "";
    public string VerifiedErased { get; private init; } = "";
    public string VerifiedRestricted { get; private init; } = "";
    public string VerifiedObjectedMarketing { get; private init; } = "";
    public string VerifiedObjectedProfiling { get; private init; } = "";
    public string RestrictionLiftedSubject { get; private init; } = "";
    public string RestrictionLiftedBody { get; private init; } = "";
    public string ExtendSubject { get; private init; } = "";
    public string ExtendBody { get; private init; } = "";
    public string RefuseSubject { get; private init; } = "";
    public string RefuseBody { get; private init; } = "";
    public string ReportSubject { get; private init; } = "";
    public string ReportBody { get; private init; } = "";
    public string Reason { get; private init; } = "";
    public string Complaint { get; private init; } = "";
    public string PrivacyNotice { get; private init; } = "";
    public string ReportButton { get; private init; } = "";
    public string ReportTitle { get; private init; } = "";
    public string ReportIntro { get; private init; } = "";
    public string NoData { get; private init; } = "";
    public string YourData { get; private init; } = "";
    public string Subscriptions { get; private init; } = "";
    public string ConsentHistory { get; private init; } = "";
    public string MessagesSent { get; private init; } = "";
    public string TrackingEvents { get; private init; } = "";
    public string ColEvent { get; private init; } = "";
    public string NoneYet { get; private init; } = "";
    public string Sources { get; private init; } = "";
    public string Controller { get; private init; } = "";
    public string Recipients { get; private init; } = "";
    public string RegisteredRecipients { get; private init; } = "";
    public string Retention { get; private init; } = "";
    public string Transfers { get; private init; } = "";
    public string Automated { get; private init; } = "";
    public string Rights { get; private init; } = "";
    public string Download { get; private init; } = "";
    public string PortabilityIntro { get; private init; } = "";
    public string ColList { get; private init; } = "";
    public string ColPurpose { get; private init; } = "";
    public string ColBasis { get; private init; } = "";
    public string ColStatus { get; private init; } = "";
    public string ColSince { get; private init; } = "";
    public string ColWhen { get; private init; } = "";
    public string ColWhat { get; private init; } = "";
    public string ColHow { get; private init; } = "";
    public string ColCampaign { get; private init; } = "";
    public string ColSubject { get; private init; } = "";
    public string ColName { get; private init; } = "";
    public string ColLanguage { get; private init; } = "";
    public string ColAttributes { get; private init; } = "";
    public string ColEmail { get; private init; } = "";
    public string OtherLanguage { get; private init; } = "";
    public string OtherLanguageCode { get; private init; } = "";

    /// <summary>A date as people write it in the language.</summary>
    public string Date(DateOnly date) => Lang == "fi"
        ? date.ToString("d.M.yyyy", CultureInfo.InvariantCulture)
        : date.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("en-GB"));

    /// <summary>What was asked, as the choice on the page names it.</summary>
    public string TypeName(string type, string? objectionScope) => type switch
    {
        PrivacyRequestTypes.Access => Access,
        PrivacyRequestTypes.Portability => Portability,
        PrivacyRequestTypes.Rectification => Rectification,
        PrivacyRequestTypes.Erasure => Erasure,
        PrivacyRequestTypes.Restriction => Restriction,
        _ => objectionScope == ObjectionScopes.Profiling ? ObjectionProfiling : ObjectionMarketing,
    };

    private static readonly PrivacyText English = new()
    {
        Lang = "en",
        Title = "Your data rights",
        Intro = "Ask {0} about the personal data it holds about you. We send a link to the address you give, and your request goes on when you open it.",
        Email = "Email address",
        Choose = "What do you ask for?",
        Access = "A copy of my data and how it is used (access, Article 15)",
        Portability = "My data in a machine-readable form (portability, Article 20)",
        Rectification = "Correct my data (rectification, Article 16)",
        Erasure = "Erase my data (erasure, Article 17)",
        Restriction = "Restrict the processing of my data (restriction, Article 18)",
        ObjectionMarketing = "I object to direct marketing (Article 21)",
        ObjectionProfiling = "I object to profiling (Article 21)",
        CorrectionLabel = "What should be corrected, and to what?",
        DetailsLabel = "Anything else we should know (optional)",
        Send = "Send the request",
        ChooseRequired = "Choose what you ask for.",
        CorrectionRequired = "Say what should be corrected.",
        TooLong = "The text is too long (at most {0} characters).",
        CheckInbox = "Check your inbox",
        CheckInboxBody = "We sent a link to the address you gave. Your request goes on when you open it.",
        VerifySubject = "Confirm your data protection request to {0}",
        VerifyIntro = "{0} received a request about the personal data linked to this address: {1}. Please confirm that the request is yours by opening this link:",
        VerifyButton = "Confirm my request",
        VerifyIgnore = "If you did not make this request, ignore this message: nothing will be done.",
        Verified = "Your request is confirmed",
        VerifiedBody = "{0} answers your request by {1} at the latest.",
        VerifiedReport = "We are sending you a link to your data by email.",
        VerifiedErased = "Your data has been erased. Only a one-way code of your address stays, so that an import by the organisation cannot add you again; you can still subscribe again yourself.",
        VerifiedRestricted = "The processing of your data is restricted: you get no marketing from us until the restriction is lifted, and we will tell you before it is.",
        VerifiedObjectedMarketing = "You will get no more direct marketing from us: you are unsubscribed from every list.",
        VerifiedObjectedProfiling = "From now on no individual tracking or profiling applies to you.",
        RestrictionLiftedSubject = "The restriction of your data is lifted",
        RestrictionLiftedBody = "{0} has lifted the restriction of processing of your data (GDPR Article 18(3)). From now on your data is processed as before, according to your subscriptions.",
        ExtendSubject = "Your data protection request: the answer will take longer",
        ExtendBody = "On {0} you asked {1}: {2}. We need more time to answer, and will answer by {3} at the latest.",
        RefuseSubject = "Your data protection request",
        RefuseBody = "On {0} you asked {1}: {2}. We will not act on the request.",
        ReportSubject = "Your data from {0}",
        ReportBody = "Here is the answer to your request ({1}). The link shows the data {0} holds about you and lets you download it; it works until {2}.",
        Reason = "Reason",
        Complaint = "You may lodge a complaint with the supervisory authority: {0}, {1}, and seek a judicial remedy.",
        PrivacyNotice = "Privacy notice",
        ReportButton = "Open my data",
        ReportTitle = "Your data at {0}",
        ReportIntro = "This is all the personal data {0} holds about {1} in its email service, as of {2}, and how it is processed.",
        NoData = "{0} holds no personal data about {1} in its email service, other than your request.",
        YourData = "Your details",
        Subscriptions = "Subscriptions, their purposes and legal basis",
        ConsentHistory = "Consent history",
        MessagesSent = "Messages sent to you",
        TrackingEvents = "Your opens and clicks",
        ColEvent = "What",
        NoneYet = "None.",
        Sources = "Where the data comes from",
        Controller = "Controller",
        Recipients = "Who receives the data",
        RegisteredRecipients = "These recipients are told of every correction, erasure and restriction of your data (GDPR Article 19):",
        Retention = "How long it is kept",
        Transfers = "Transfers outside the EU/EEA",
        Automated = "Automated decisions and profiling",
        Rights = "Your rights",
        Download = "Download",
        PortabilityIntro = "The data you gave {0}, in machine-readable form for another service.",
        ColList = "List",
        ColPurpose = "Purpose",
        ColBasis = "Legal basis",
        ColStatus = "Status",
        ColSince = "Since",
        ColWhen = "When",
        ColWhat = "What",
        ColHow = "How and from where",
        ColCampaign = "Message",
        ColSubject = "Subject",
        ColName = "Name",
        ColLanguage = "Language",
        ColAttributes = "Other details",
        ColEmail = "Email address",
        OtherLanguage = "Suomeksi",
        OtherLanguageCode = "fi",
    };

    private static readonly PrivacyText Finnish = new()
    {
        Lang = "fi",
        Title = "Tietosuojaoikeutesi",
        Intro = "Kysy, mitä henkilötietoja {0} sinusta käsittelee. Lähetämme antamaasi osoitteeseen linkin, ja pyyntösi etenee, kun avaat sen.",
        Email = "Sähköpostiosoite",
        Choose = "Mitä pyydät?",
        Access = "Kopio tiedoistani ja niiden käytöstä (tarkastusoikeus, 15 artikla)",
        Portability = "Tietoni koneluettavassa muodossa (siirto-oikeus, 20 artikla)",
        Rectification = "Tietojeni oikaisu (16 artikla)",
        Erasure = "Tietojeni poistaminen (17 artikla)",
        Restriction = "Käsittelyn rajoittaminen (18 artikla)",
        ObjectionMarketing = "Vastustan suoramarkkinointia (21 artikla)",
        ObjectionProfiling = "Vastustan profilointia (21 artikla)",
        CorrectionLabel = "Mitä pitäisi korjata, ja millaiseksi?",
        DetailsLabel = "Muuta huomioitavaa (vapaaehtoinen)",
        Send = "Lähetä pyyntö",
        ChooseRequired = "Valitse, mitä pyydät.",
        CorrectionRequired = "Kerro, mitä pitäisi korjata.",
        TooLong = "Teksti on liian pitkä (enintään {0} merkkiä).",
        CheckInbox = "Tarkista sähköpostisi",
        CheckInboxBody = "Lähetimme linkin antamaasi osoitteeseen. Pyyntösi etenee, kun avaat linkin.",
        VerifySubject = "Vahvista tietosuojapyyntösi: {0}",
        VerifyIntro = "{0} sai tähän osoitteeseen liittyviä henkilötietoja koskevan pyynnön: {1}. Vahvista, että pyyntö on sinun, avaamalla tämä linkki:",
        VerifyButton = "Vahvista pyyntö",
        VerifyIgnore = "Jos et tehnyt tätä pyyntöä, voit jättää viestin huomiotta: mitään ei tehdä.",
        Verified = "Pyyntösi on vahvistettu",
        VerifiedBody = "{0} vastaa pyyntöösi viimeistään {1}.",
        VerifiedReport = "Lähetämme sinulle sähköpostilla linkin tietoihisi.",
        VerifiedErased = "Tietosi on poistettu. Osoitteestasi jää vain yksisuuntainen tunniste, jotta organisaation tuonti ei lisää sinua uudelleen; voit silti itse tilata uudelleen.",
        VerifiedRestricted = "Tietojesi käsittelyä on rajoitettu: et saa meiltä markkinointia ennen kuin rajoitus poistetaan, ja kerromme sinulle ennen sitä.",
        VerifiedObjectedMarketing = "Et saa meiltä enää suoramarkkinointia: tilauksesi kaikille listoille on peruttu.",
        VerifiedObjectedProfiling = "Tästä lähtien sinuun ei kohdisteta yksilöllistä seurantaa eikä profilointia.",
        RestrictionLiftedSubject = "Tietojesi käsittelyn rajoitus on poistettu",
        RestrictionLiftedBody = "{0} on poistanut tietojesi käsittelyn rajoituksen (tietosuoja-asetuksen 18 artiklan 3 kohta). Tästä lähtien tietojasi käsitellään kuten ennenkin, tilaustesi mukaan.",
        ExtendSubject = "Tietosuojapyyntösi: vastaus viivästyy",
        ExtendBody = "Teit {0} pyynnön organisaatiolle {1}: {2}. Tarvitsemme vastaamiseen lisäaikaa ja vastaamme viimeistään {3}.",
        RefuseSubject = "Tietosuojapyyntösi",
        RefuseBody = "Teit {0} pyynnön organisaatiolle {1}: {2}. Emme toteuta pyyntöä.",
        ReportSubject = "Tietosi: {0}",
        ReportBody = "Tässä vastaus pyyntöösi ({1}). Linkistä näet, mitä tietoja {0} sinusta käsittelee, ja voit ladata ne; linkki toimii {2} asti.",
        Reason = "Perustelu",
        Complaint = "Voit tehdä valituksen valvontaviranomaiselle: {0}, {1}, ja hakea muutosta tuomioistuimelta.",
        PrivacyNotice = "Tietosuojaseloste",
        ReportButton = "Avaa tietoni",
        ReportTitle = "Tietosi: {0}",
        ReportIntro = "Tässä ovat kaikki henkilötiedot, joita {0} käsittelee sähköpostipalvelussaan osoitteesta {1} ({2}), ja miten niitä käsitellään.",
        NoData = "{0} ei käsittele sähköpostipalvelussaan osoitteesta {1} muita henkilötietoja kuin pyyntösi.",
        YourData = "Tietosi",
        Subscriptions = "Tilaukset, niiden käyttötarkoitus ja oikeusperuste",
        ConsentHistory = "Suostumushistoria",
        MessagesSent = "Sinulle lähetetyt viestit",
        TrackingEvents = "Avauksesi ja klikkauksesi",
        ColEvent = "Mitä",
        NoneYet = "Ei yhtään.",
        Sources = "Mistä tiedot ovat peräisin",
        Controller = "Rekisterinpitäjä",
        Recipients = "Tietojen vastaanottajat",
        RegisteredRecipients = "Näille vastaanottajille ilmoitetaan jokaisesta tietojesi oikaisusta, poistosta ja käsittelyn rajoittamisesta (tietosuoja-asetuksen 19 artikla):",
        Retention = "Säilytysaika",
        Transfers = "Siirrot EU:n ja ETA:n ulkopuolelle",
        Automated = "Automaattiset päätökset ja profilointi",
        Rights = "Oikeutesi",
        Download = "Lataa",
        PortabilityIntro = "Tiedot, jotka olet antanut organisaatiolle {0}, koneluettavassa muodossa toista palvelua varten.",
        ColList = "Lista",
        ColPurpose = "Käyttötarkoitus",
        ColBasis = "Oikeusperuste",
        ColStatus = "Tila",
        ColSince = "Alkaen",
        ColWhen = "Milloin",
        ColWhat = "Mitä",
        ColHow = "Miten ja mistä",
        ColCampaign = "Viesti",
        ColSubject = "Aihe",
        ColName = "Nimi",
        ColLanguage = "Kieli",
        ColAttributes = "Muut tiedot",
        ColEmail = "Sähköpostiosoite",
        OtherLanguage = "In English",
        OtherLanguageCode = "en",
    };
}
