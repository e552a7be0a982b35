using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// notifications.json, a document of the store's backend (a file in the folder store, a row in the shared one): the
/// registered notification channels, rewritten whole under its lock. It holds where each webhook is kept (env:, file:
/// or store:), never the webhook itself.
/// </summary>
public sealed class NotificationRegistry
{
    private const string DocumentName = "notifications.json";

    private readonly RollbackStore _store;

    internal NotificationRegistry(RollbackStore store) => _store = store;

    /// <summary>Where the channels are kept, for messages (in the folder store, the file).</summary>
    public string Path => _store.Backend.Documents.Describe(DocumentName);

    public IReadOnlyList<NotificationChannel> GetAll() => Parse(_store.Backend.Documents.Read(DocumentName));

    private List<NotificationChannel> Parse(string? text)
    {
        if (text is null)
        {
            return new List<NotificationChannel>();
        }

        List<NotificationChannel>? channels;
        try
        {
            channels = JsonSerializer.Deserialize<List<NotificationChannel>>(text, StoreJson.Indented);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw Corrupt(ex.Message, ex);
        }

        if (channels is null || channels.Any(c => c is null || !TargetRegistry.IsValidName(c.Name) || string.IsNullOrEmpty(c.Webhook)))
        {
            throw Corrupt("an entry is null, or has no valid name or webhook reference.");
        }

        return channels;
    }

    public NotificationChannel Get(string name) =>
        GetAll().FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new RollbackException(RollbackErrorId.NotificationNotFound, RollbackErrorCategory.ObjectNotFound,
            $"No notification channel named '{name}' is registered in '{_store.Location}'. Run Get-RollbackNotification to list them, or Register-RollbackNotification to add it.", name);

    /// <summary>Adds or (with <paramref name="replace"/>) replaces a channel.</summary>
    public void Save(NotificationChannel channel, bool replace) =>
        Update(channels =>
        {
            var existing = channels.FindIndex(c => string.Equals(c.Name, channel.Name, StringComparison.OrdinalIgnoreCase));
            if (existing >= 0 && !replace)
            {
                throw new RollbackException(RollbackErrorId.NotificationAlreadyExists, RollbackErrorCategory.ResourceExists,
                    $"A notification channel named '{channel.Name}' is already registered. Use -Force to replace it.", channel.Name);
            }

            if (existing >= 0)
            {
                channels[existing] = channel;
            }
            else
            {
                channels.Add(channel);
            }
        });

    public void Remove(string name) =>
        Update(channels =>
        {
            if (channels.RemoveAll(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) == 0)
            {
                throw new RollbackException(RollbackErrorId.NotificationNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"No notification channel named '{name}' is registered.", name);
            }
        });

    private void Update(Action<List<NotificationChannel>> change) =>
        _store.Backend.Documents.Update(DocumentName, text =>
        {
            var channels = Parse(text);
            change(channels);
            return JsonSerializer.Serialize(channels.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase), StoreJson.Indented);
        });

    private RollbackException Corrupt(string problem, Exception? inner = null) =>
        new(RollbackErrorId.NotificationRegistryCorrupt, RollbackErrorCategory.InvalidData,
            $"The notification registry '{Path}' is not valid: {problem} Fix or restore the file, or register the channels again.", Path, inner);
}
