namespace Lupa.Subscriptions;

/// <summary>The words of the public pages and system mail, in Finnish and English.</summary>
public sealed class PublicText
{
    private PublicText() { }

    /// <summary>Texts for a language; English for anything but Finnish.</summary>
    public static PublicText For(string? language) => language == "fi" ? Finnish : English;

    public string Lang { get; private init; } = "en";
    public string Email { get; private init; } = "";
    public string Name { get; private init; } = "";
    public string Subscribe { get; private init; } = "";
    public string PrivacyNotice { get; private init; } = "";
    public string CheckInbox { get; private init; } = "";
    public string CheckInboxBody { get; private init; } = "";
    public string ConsentRequired { get; private init; } = "";
    public string ConfirmSubject { get; private init; } = "";
    public string ConfirmIntro { get; private init; } = "";
    public string ConfirmButton { get; private init; } = "";
    public string ConfirmIgnore { get; private init; } = "";
    public string Confirmed { get; private init; } = "";
    public string ConfirmedBody { get; private init; } = "";
    public string AlreadyConfirmed { get; private init; } = "";
    public string LinkExpired { get; private init; } = "";
    public string LinkExpiredBody { get; private init; } = "";
    public string LinkInvalid { get; private init; } = "";
    public string LinkInvalidBody { get; private init; } = "";
    public string LinkSuperseded { get; private init; } = "";
    public string Unsubscribe { get; private init; } = "";
    public string UnsubscribeQuestion { get; private init; } = "";
    public string Unsubscribed { get; private init; } = "";
    public string UnsubscribedBody { get; private init; } = "";
    public string Preferences { get; private init; } = "";
    public string YourLists { get; private init; } = "";
    public string Language { get; private init; } = "";
    public string Save { get; private init; } = "";
    public string Saved { get; private init; } = "";
    public string SubscribeAgain { get; private init; } = "";
    public string StatusConfirmed { get; private init; } = "";
    public string StatusPending { get; private init; } = "";
    public string StatusUnsubscribed { get; private init; } = "";
    public string Complaint { get; private init; } = "";
    public string TooMany { get; private init; } = "";
    public string NotFound { get; private init; } = "";

    private static readonly PublicText English = new()
    {
        Lang = "en",
        Email = "Email address",
        Name = "Name",
        Subscribe = "Subscribe",
        PrivacyNotice = "Privacy notice",
        CheckInbox = "Check your inbox",
        CheckInboxBody = "We sent a confirmation link to the address you gave. Your subscription starts when you open it.",
        ConsentRequired = "Please tick the box to give your consent.",
        ConfirmSubject = "Please confirm your subscription to {0}",
        ConfirmIntro = "You (or someone using your address) asked to subscribe to {0} from {1}. Please confirm by opening this link:",
        ConfirmButton = "Confirm my subscription",
        ConfirmIgnore = "If you did not ask for this, ignore this message: nothing will be sent to you.",
        Confirmed = "Subscription confirmed",
        ConfirmedBody = "Thank you. You are now subscribed to {0}.",
        AlreadyConfirmed = "Your subscription to {0} was already confirmed.",
        LinkExpired = "This link has expired",
        LinkExpiredBody = "Confirmation links are valid for a limited time. Please subscribe again to get a new link.",
        LinkInvalid = "This link is not valid",
        LinkInvalidBody = "The link may be incomplete. Please copy the whole link from the message.",
        LinkSuperseded = "This link has been replaced by a newer one, or you have unsubscribed since. Use the link in the newest message.",
        Unsubscribe = "Unsubscribe",
        UnsubscribeQuestion = "Unsubscribe {0} from {1}?",
        Unsubscribed = "You are unsubscribed",
        UnsubscribedBody = "You will receive no more messages from {0}.",
        Preferences = "Your preferences",
        YourLists = "Your subscriptions",
        Language = "Language",
        Save = "Save",
        Saved = "Your changes are saved.",
        SubscribeAgain = "Subscribe again",
        StatusConfirmed = "subscribed",
        StatusPending = "waiting for confirmation",
        StatusUnsubscribed = "unsubscribed",
        Complaint = "You may lodge a complaint with the supervisory authority: {0}, {1}.",
        TooMany = "Too many requests. Please try again in a minute.",
        NotFound = "Not found",
    };

    private static readonly PublicText Finnish = new()
    {
        Lang = "fi",
        Email = "Sähköpostiosoite",
        Name = "Nimi",
        Subscribe = "Tilaa",
        PrivacyNotice = "Tietosuojaseloste",
        CheckInbox = "Tarkista sähköpostisi",
        CheckInboxBody = "Lähetimme vahvistuslinkin antamaasi osoitteeseen. Tilaus alkaa, kun avaat linkin.",
        ConsentRequired = "Anna suostumuksesi rastittamalla ruutu.",
        ConfirmSubject = "Vahvista tilauksesi: {0}",
        ConfirmIntro = "Sinä (tai joku osoitettasi käyttäen) pyysit tilausta {0} lähettäjältä {1}. Vahvista tilaus avaamalla tämä linkki:",
        ConfirmButton = "Vahvista tilaus",
        ConfirmIgnore = "Jos et pyytänyt tätä, voit jättää viestin huomiotta: sinulle ei lähetetä mitään.",
        Confirmed = "Tilaus vahvistettu",
        ConfirmedBody = "Kiitos. Tilauksesi {0} on nyt voimassa.",
        AlreadyConfirmed = "Tilauksesi {0} oli jo vahvistettu.",
        LinkExpired = "Linkki on vanhentunut",
        LinkExpiredBody = "Vahvistuslinkki on voimassa rajoitetun ajan. Tilaa uudelleen saadaksesi uuden linkin.",
        LinkInvalid = "Linkki ei kelpaa",
        LinkInvalidBody = "Linkki voi olla katkennut. Kopioi koko linkki viestistä.",
        LinkSuperseded = "Tämä linkki on korvattu uudemmalla, tai olet perunut tilauksen sen jälkeen. Käytä uusimman viestin linkkiä.",
        Unsubscribe = "Peru tilaus",
        UnsubscribeQuestion = "Perutaanko osoitteen {0} tilaus {1}?",
        Unsubscribed = "Tilaus on peruttu",
        UnsubscribedBody = "Et saa enää viestejä listalta {0}.",
        Preferences = "Asetuksesi",
        YourLists = "Tilauksesi",
        Language = "Kieli",
        Save = "Tallenna",
        Saved = "Muutokset tallennettu.",
        SubscribeAgain = "Tilaa uudelleen",
        StatusConfirmed = "tilattu",
        StatusPending = "odottaa vahvistusta",
        StatusUnsubscribed = "peruttu",
        Complaint = "Voit tehdä valituksen valvontaviranomaiselle: {0}, {1}.",
        TooMany = "Liian monta pyyntöä. Yritä minuutin kuluttua uudelleen.",
        NotFound = "Ei löytynyt",
    };

    /// <summary>The default consent wording of a new list.</summary>
    public static string DefaultWording(string language, string organisation, string list) => language == "fi"
        ? $"Haluan vastaanottaa {organisation}:n uutiskirjeen \"{list}\" sähköpostiini. Voin perua tilauksen milloin tahansa."
        : $"I want to receive \"{list}\" from {organisation} by email. I can unsubscribe at any time.";
}
