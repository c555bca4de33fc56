using Lupa.Admin;
using Lupa.Storage;

namespace Lupa.Pages.Admin;

/// <summary>/admin/mail-catcher: the newest caught messages; an organisation's person sees only their organisation's.</summary>
public sealed class MailCatcherModel(SystemStore system, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>How many messages are listed.</summary>
    public const int Limit = 200;

    /// <summary>The messages, newest first.</summary>
    public IReadOnlyList<CaughtMessageRow> Messages { get; private set; } = [];

    /// <summary>Reads the messages.</summary>
    public async Task OnGetAsync(CancellationToken ct) =>
        Messages = await SystemData.ListCaughtMessagesAsync(IsOperator ? null : Person.OrgId, Limit, ct);
}
