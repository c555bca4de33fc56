using Lupa.Admin;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin;

/// <summary>/admin/mail-catcher/{id}/raw: the caught message's bytes as an .eml download.</summary>
public sealed class MailRawModel(SystemStore system, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>Sends the bytes exactly as received.</summary>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var message = await SystemData.GetCaughtMessageAsync(id, IsOperator ? null : Person.OrgId, ct);
        if (message is null)
            return NotFoundPage("message");
        await AuditAsync(Person.OrgId, Lupa.Domain.Privacy.AuditActions.CaughtMailView, "caught_message:" + id, new { format = "eml" }, ct);
        return File(message.Mime, "message/rfc822", $"message-{id}.eml");
    }
}
