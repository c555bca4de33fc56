using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>What a rectification sets (Article 16); fields left null stay. An attribute given as null or "" is removed.</summary>
public sealed record Correction(string? Name, string? Language, IReadOnlyDictionary<string, string?>? Attributes);

// Fulfilment of the rights that change data: erasure (17), restriction (18), objection (21) and rectification (16).
// A verified self-service erasure, restriction or objection is fulfilled at once; the officer runs the same through
// POST /api/v1/privacy/requests/{id}/fulfil for registered requests (and for rectification, with the corrected values).
public sealed partial class PrivacyRequestService
{
    /// <summary>
    /// Fulfils a request by what its type asks, and completes it with the outcome. Failures: <c>not_found</c>,
    /// <c>status</c>, or a field of <paramref name="correction"/> (a rectification needs one).
    /// </summary>
    public async Task<Outcome<PrivacyRequestRow>> FulfilAsync(long orgId, long id, Correction? correction, string actor, CancellationToken ct)
    {
        var (row, org, failure) = await LoadForAsync(orgId, id, PrivacyRequestStatuses.Action.Complete, ct);
        if (failure is { } f)
            return f;
        // Fulfilling a request that waits for approval approves it.
        if (row!.AwaitingApproval)
            return await ApproveAsync(orgId, id, actor, ct);
        return await FulfilAsync(org!, row, correction, actor, ct);
    }

    /// <summary>
    /// Approves a verified self-service request that waits for approval (the organisation's choice) and fulfils it as
    /// it would have been at verification. Failures: <c>not_found</c>, <c>status</c> (it does not wait for approval).
    /// </summary>
    public async Task<Outcome<PrivacyRequestRow>> ApproveAsync(long orgId, long id, string actor, CancellationToken ct)
    {
        var (row, org, failure) = await LoadForAsync(orgId, id, PrivacyRequestStatuses.Action.Complete, ct);
        if (failure is { } f)
            return f;
        if (!row!.AwaitingApproval)
            return Fail<PrivacyRequestRow>("status", "The request does not wait for approval; fulfil or complete it instead.");
        var store = For(orgId);
        if (!await store.ApproveAsync(id, actor, Now(), ct))
            return Fail<PrivacyRequestRow>("status", "The request changed meanwhile; read it again.");
        row = (await store.GetAsync(id, ct))!;
        await AuditAsync(orgId, actor, "approve", row, null, ct);
        return await FulfilAsync(org!, row, null, actor, ct);
    }

    private async Task<Outcome<PrivacyRequestRow>> FulfilAsync(OrganisationRow org, PrivacyRequestRow row, Correction? correction, string actor, CancellationToken ct)
    {
        var store = new OrganisationStore(db, org.Id);
        var subscriber = row.SubjectEmail is { } email ? await store.FindSubscriberAsync(email, ct) : null;
        string outcome;
        object? facts = null;
        switch (row.Type)
        {
            case PrivacyRequestTypes.Access or PrivacyRequestTypes.Portability:
                return Outcome<PrivacyRequestRow>.Ok(await AnswerAsync(org, row, ct));
            case PrivacyRequestTypes.Erasure:
                if (row.SubjectEmail is null)
                {
                    outcome = "Nothing to erase: the request keeps no address (an earlier erasure).";
                    break;
                }
                var hash = SuppressionKey.For(db.SuppressionKey, EmailAddress.Parse(row.SubjectEmail).Value!);
                var erased = await recipients.PrepareAsync(org.Id, RecipientEvents.Erased, new EventSubject(subscriber?.Id, row.SubjectEmail), new { suppressed = true }, ct);
                var counts = await new SubscriberErasure(db, org.Id).EraseAsync(row.SubjectEmail, hash, Now(), ct, erased);
                scrubber.Request();
                recipients.Wake();
                facts = counts;
                outcome = counts.Subscribers > 0
                    ? "Erased: the person was removed from subscribers, subscriptions, consent records, campaign recipients, the outbox, the mail catcher and import reports; only a keyed hash of the address stays on the suppression list, and the request keeps no address."
                    : "Lupa held no subscriber with this address; any mail and import report rows were removed, a keyed hash of the address is on the suppression list, and the request keeps no address.";
                break;
            case PrivacyRequestTypes.Restriction:
                if (subscriber is null)
                {
                    outcome = "Lupa holds no data about this address; nothing to restrict.";
                    break;
                }
                if (await store.SetRestrictedAsync(subscriber.Id, true, null, Now(), ct,
                        await recipients.PrepareAsync(org.Id, RecipientEvents.Restricted, new EventSubject(subscriber.Id, subscriber.Email), new { restricted = true }, ct)))
                    recipients.Wake();
                outcome = "Restricted: the person is kept but left out of every send, segment, export and import update until the restriction is lifted (POST /api/v1/subscribers/{id}/unrestrict tells them).";
                break;
            case PrivacyRequestTypes.Objection when row.ObjectionScope == ObjectionScopes.Profiling:
                if (subscriber is null)
                {
                    outcome = "Lupa holds no data about this address; no profiling to stop.";
                    break;
                }
                await store.ObjectToProfilingAsync(subscriber.Id, Now(), ct);
                outcome = "Objection to profiling recorded: no individual tracking or engagement scoring applies to the person from now on.";
                break;
            case PrivacyRequestTypes.Objection:
                var withdrawn = await store.ObjectToDirectMarketingAsync(row.SubjectEmail!, "privacy_request:" + row.Id, Now(), ct);
                facts = new { withdrawn };
                outcome = $"Objection to direct marketing: unsubscribed from {withdrawn} list(s) with withdrawal records, and the address suppressed for every list (reason objection).";
                break;
            case PrivacyRequestTypes.Rectification:
                if (correction is null)
                    return Fail<PrivacyRequestRow>("name", "give the corrected name, language or attributes (the request's details say what to correct)");
                if (subscriber is null)
                    return Fail<PrivacyRequestRow>("status", "Lupa holds no subscriber with this address; complete the request with an outcome instead.");
                var applied = await RectifyAsync(store, subscriber, correction, ct);
                if (!applied.IsOk)
                    return Fail<PrivacyRequestRow>(applied.Code!, applied.Reason!);
                facts = new { fields = applied.Value };
                outcome = "Rectified: " + (applied.Value!.Count == 0 ? "nothing differed" : string.Join(", ", applied.Value)) + ".";
                break;
            default:
                return Fail<PrivacyRequestRow>("status", "This request type is not fulfilled by Lupa.");
        }
        var change = new PrivacyRequestChange(row.Status, row.ExtensionMonths, PrivacyRequestStatuses.Completed)
        {
            Outcome = outcome,
            Handler = actor,
            ClosedAt = Now(),
        };
        return await ApplyAsync(org.Id, row, change, null, actor, "fulfil", facts, ct);
    }

    // Applies a correction and tells the registered recipients the new values; the answer names the fields changed
    // (never their values: the audit trail keeps no personal data).
    private async Task<Outcome<IReadOnlyList<string>>> RectifyAsync(OrganisationStore store, SubscriberRow s, Correction c, CancellationToken ct)
    {
        var name = c.Name?.Trim() ?? s.Name;
        if (TextRules.NameProblem(name) is { } np)
            return Outcome<IReadOnlyList<string>>.Fail("name", np);
        var language = c.Language ?? s.Language;
        if (!Languages.IsSupported(language))
            return Outcome<IReadOnlyList<string>>.Fail("language", "must be 'fi' or 'en'");
        var attributes = SubscriberAttributes.Parse(s.Attributes);
        var changed = new List<string>();
        var newAttributes = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in c.Attributes ?? new Dictionary<string, string?>())
        {
            if (!SegmentFields.IsAttributeKey(key))
                return Outcome<IReadOnlyList<string>>.Fail("attributes", $"'{key}' is not an attribute name (letters, digits, _ - .)");
            if (string.IsNullOrEmpty(value))
            {
                if (attributes.Remove(key))
                {
                    changed.Add("attributes." + key);
                    newAttributes[key] = null;
                }
            }
            else if (!attributes.TryGetValue(key, out var old) || old != value)
            {
                attributes[key] = value;
                changed.Add("attributes." + key);
                newAttributes[key] = value;
            }
        }
        if (name != s.Name)
            changed.Insert(0, "name");
        if (language != s.Language)
            changed.Insert(name != s.Name ? 1 : 0, "language");
        if (changed.Count > 0)
        {
            var notify = await recipients.PrepareAsync(store.OrgId, RecipientEvents.Rectified, new EventSubject(s.Id, s.Email),
                RectifiedData(name != s.Name ? name : null, language != s.Language ? language : null, newAttributes.Count > 0 ? newAttributes : null), ct);
            await store.RectifyAsync(s.Id, name, language, JsonSerializer.Serialize(attributes), Now(), ct, notify);
            recipients.Wake();
        }
        return Outcome<IReadOnlyList<string>>.Ok(changed);
    }

    // What a subject.rectified event carries: the new values of the fields that changed (an attribute removed is null).
    private static object RectifiedData(string? name, string? language, IReadOnlyDictionary<string, string?>? attributes)
    {
        var changed = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        if (name is not null)
            changed["name"] = name;
        if (language is not null)
            changed["language"] = language;
        if (attributes is not null)
            changed["attributes"] = attributes;
        return new { changed };
    }

    /// <summary>
    /// Rectifies a subscriber's name and language from the preference centre or the API (Article 16): stored, written to
    /// the audit trail (the names of the fields changed) and told to the registered recipients (Article 19). Nothing
    /// happens when nothing differs. Returns the fields changed.
    /// </summary>
    public async Task<IReadOnlyList<string>> RectifySubscriberAsync(long orgId, SubscriberRow s, string name, string language, string actor, CancellationToken ct)
    {
        var changed = new List<string>();
        if (name != s.Name)
            changed.Add("name");
        if (language != s.Language)
            changed.Add("language");
        if (changed.Count == 0)
            return changed;
        var store = new OrganisationStore(db, orgId);
        var notify = await recipients.PrepareAsync(orgId, RecipientEvents.Rectified, new EventSubject(s.Id, s.Email),
            RectifiedData(name != s.Name ? name : null, language != s.Language ? language : null, null), ct);
        if (await store.UpdateSubscriberAsync(s.Id, name, language, Now(), ct, notify))
        {
            recipients.Wake();
            await new AuditStore(db).AppendAsync(orgId, actor, AuditActions.SubscriberRectify, "subscriber:" + s.Id, JsonSerializer.Serialize(new { fields = changed }), Now(), ct);
        }
        return changed;
    }

    /// <summary>
    /// Restricts a subscriber (Article 18) or lifts the restriction, which the person is told by mail in their
    /// language (18(3)). Written to the audit trail. Failures: <c>not_found</c>, <c>status</c> (already so).
    /// </summary>
    public async Task<Outcome<SubscriberRow>> SetRestrictionAsync(long orgId, long subscriberId, bool restricted, string actor, CancellationToken ct)
    {
        var store = new OrganisationStore(db, orgId);
        var org = await system.GetOrganisationAsync(orgId, ct);
        if (org is null || await store.GetSubscriberAsync(subscriberId, ct) is null)
            return Fail<SubscriberRow>("not_found", "No subscriber with that id in this organisation.");
        var subscriber = (await store.GetSubscriberAsync(subscriberId, ct))!;
        var notify = await recipients.PrepareAsync(orgId, restricted ? RecipientEvents.Restricted : RecipientEvents.RestrictionLifted,
            new EventSubject(subscriber.Id, subscriber.Email), new { restricted }, ct);
        var changed = await store.SetRestrictedAsync(subscriberId, restricted, s =>
        {
            var t = PrivacyText.For(s.Language);
            return SubjectMail(org, s.Email, t, t.RestrictionLiftedSubject, [string.Format(t.RestrictionLiftedBody, org.Name)], null, []);
        }, Now(), ct, notify);
        if (!changed)
            return Fail<SubscriberRow>("status", restricted ? "The subscriber is already restricted." : "The subscriber is not restricted.");
        recipients.Wake();
        if (!restricted)
            outboxSignal.Notify();
        await new AuditStore(db).AppendAsync(orgId, actor, restricted ? "subscriber.restrict" : "subscriber.unrestrict", "subscriber:" + subscriberId, "{}", Now(), ct);
        log.LogInformation("Subscriber {SubscriberId} {Action} by {Actor}", subscriberId, restricted ? "restricted" : "unrestricted", actor);
        return Outcome<SubscriberRow>.Ok((await store.GetSubscriberAsync(subscriberId, ct))!);
    }
}
