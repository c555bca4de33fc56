using Lupa.Admin;
using Lupa.Domain;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/privacy-recipients/{id}: one recipient with its delivery log (every attempt, its status code or
/// error), and the actions: send a test, a new secret (shown once), retry a given-up delivery, remove.
/// </summary>
public sealed class PrivacyRecipientModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, DataRecipientService recipients)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Deliveries shown.</summary>
    public const int Limit = 100;

    /// <summary>The recipient.</summary>
    public PrivacyRecipientRow Recipient { get; private set; } = null!;

    /// <summary>Its newest deliveries.</summary>
    public IReadOnlyList<WebhookDeliveryRow> Deliveries { get; private set; } = [];

    /// <summary>Their attempts.</summary>
    public ILookup<long, WebhookAttemptRow> Attempts { get; private set; } = Array.Empty<WebhookAttemptRow>().ToLookup(a => a.DeliveryId);

    /// <summary>The status filter, or empty.</summary>
    public string Status { get; private set; } = "";

    /// <summary>A new secret, shown this once.</summary>
    public string? NewSecret { get; private set; }

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Shows the recipient and its log.</summary>
    public async Task<IActionResult> OnGetAsync(long id, string? status, string? done, CancellationToken ct)
    {
        Status = WebhookDeliveryStatuses.All.Contains(status) ? status! : "";
        Notice = done switch
        {
            "test" => "A test event is queued; it shows in the log below.",
            "retry" => "The delivery is queued again.",
            "remove" => "The recipient is removed: nothing more is sent to it. Its log stays.",
            _ => null,
        };
        return await LoadAsync(id, ct) ? Page() : NotFoundPage("recipient");
    }

    private async Task<bool> LoadAsync(long id, CancellationToken ct)
    {
        var store = recipients.For(Organisation.Id);
        if (await store.GetAsync(id, ct) is not { } r)
            return false;
        Recipient = r;
        Deliveries = await store.ListDeliveriesAsync(id, Status.Length == 0 ? null : Status, 0, Limit, ct);
        Attempts = await store.ListAttemptsAsync(Deliveries.Select(d => d.Id).ToList(), ct);
        return true;
    }

    /// <summary>Queues a test event.</summary>
    public Task<IActionResult> OnPostTestAsync(long id, CancellationToken ct) =>
        ActAsync(id, "test", async () => (await recipients.TestAsync(Organisation.Id, id, Person.Email, ct)) is { IsOk: false } f ? f.Reason : null, ct);

    /// <summary>Queues a given-up delivery again.</summary>
    public Task<IActionResult> OnPostRetryAsync(long id, [FromForm] long deliveryId, CancellationToken ct) =>
        ActAsync(id, "retry", async () => (await recipients.RetryAsync(Organisation.Id, id, deliveryId, Person.Email, ct)) is { IsOk: false } f ? f.Reason : null, ct);

    /// <summary>Removes the recipient.</summary>
    public Task<IActionResult> OnPostRemoveAsync(long id, CancellationToken ct) =>
        ActAsync(id, "remove", async () => (await recipients.RemoveAsync(Organisation.Id, id, Person.Email, ct)) is { IsOk: false } f ? f.Reason : null, ct);

    /// <summary>Gives the recipient a new secret and shows it.</summary>
    public async Task<IActionResult> OnPostSecretAsync(long id, CancellationToken ct)
    {
        var result = await recipients.RotateSecretAsync(Organisation.Id, id, Person.Email, ct);
        if (!await LoadAsync(id, ct))
            return NotFoundPage("recipient");
        if (result.IsOk)
            NewSecret = result.Value.Secret;
        else
            Refuse(AdminText.Sentence(result.Reason!), StatusCodes.Status409Conflict);
        return Page();
    }

    private async Task<IActionResult> ActAsync(long id, string action, Func<Task<string?>> act, CancellationToken ct)
    {
        var problem = await act();
        if (problem is null)
            return LocalRedirect(OrgUrl("privacy-recipients/" + id) + "?done=" + action);
        if (!await LoadAsync(id, ct))
            return NotFoundPage("recipient");
        Refuse(AdminText.Sentence(problem), StatusCodes.Status409Conflict);
        return Page();
    }
}
