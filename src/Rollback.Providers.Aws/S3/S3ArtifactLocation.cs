using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// A shared store's points' artifacts in a versioned S3 bucket, under &lt;prefix&gt;/&lt;target&gt;/&lt;point id&gt;/&lt;path&gt;
/// (the target's name in lower case, as the store keys targets). The store's local folder stages a capture and caches
/// what was fetched, in the folder store's layout, so the providers read and write local files as always.
/// <list type="bullet">
/// <item>Publish: every file of the point's staged artifacts folder uploaded with its SHA-256 (x-amz-checksum-sha256, which S3 checks on receipt
/// and keeps, and the hex in x-amz-meta-sha256); the version S3 gives each is recorded in the manifest.</item>
/// <item>Fetch: into a fresh folder, each recorded version (never the key's newest: a key written again after capture
/// changes nothing), each checked against the SHA-256 the manifest recorded, with the folders, links, modes and owners
/// recorded beside them; then renamed into place whole, with a marker. A folder
/// already in place with its marker is kept, and proven against the manifest by the readiness check as every point is.</item>
/// <item>Remove: every version and delete marker under the point's prefix (or the target's), for good.</item>
/// </list>
/// The bucket must keep versions: without them a key written again or deleted takes the only copy of a point with it,
/// and nothing would tell a rollback which bytes were captured; so a capture into an unversioned bucket is refused.
/// </summary>
internal sealed class S3ArtifactLocation : IArtifactLocation
{
    /// <summary>In a point's local folder (beside artifacts/): the folder is a whole copy of the point's recorded objects.</summary>
    internal const string FetchedMarker = "fetched-from-s3";

    private readonly RollbackStore _store;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly Func<IS3Client> _client;
    private bool _versioningChecked;

    public S3ArtifactLocation(RollbackStore store, string bucket, string prefix, Func<IS3Client> client)
    {
        _store = store;
        _bucket = bucket;
        _prefix = prefix.Length == 0 ? string.Empty : prefix + "/";
        _client = client;
    }

    public string Location => $"s3://{_bucket}/{_prefix}".TrimEnd('/');

    public string Open(string target, string id) => _store.Points.PointDirectory(target, id);

    public ArtifactObjects? Publish(RollbackPoint point, string stagingArtifacts, CancellationToken cancellation)
    {
        using var s3 = _client();
        EnsureVersioned(s3, cancellation);
        var pointPrefix = PointPrefix(point.Target, point.Id);
        var objects = new List<ArtifactObject>();
        try
        {
            // What the store keeps of the point is its artifacts folder as staged (the manifest's paths are relative to
            // the kind's artifact base, which for a release kind is the release folder itself, never uploaded).
            foreach (var entry in FileTree.Hash(stagingArtifacts, NullReporter.Instance, cancellation).Where(e => e.Type is null or DirectoryType))
            {
                cancellation.ThrowIfCancellationRequested();
                if (!IsFile(entry))
                {
                    objects.Add(new ArtifactObject { RelativePath = entry.RelativePath, Type = entry.Type, LinkTarget = entry.LinkTarget, Mode = entry.Mode, Owner = entry.Owner, Group = entry.Group });
                    continue;
                }

                var content = File.ReadAllBytes(SafePath.Resolve(stagingArtifacts, entry.RelativePath));
                var (hex, base64) = Hash(content);
                if (hex != entry.Sha256)
                {
                    throw new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                        $"The captured file '{entry.RelativePath}' of point {point.Id} changed while it was being uploaded. Capture the point again.", entry.RelativePath);
                }

                var request = new PutObjectRequest { BucketName = _bucket, Key = pointPrefix + entry.RelativePath, Content = content, ChecksumSHA256 = base64 };
                request.Metadata["sha256"] = hex;
                var put = AwsProviderSupport.Wait(s3.PutObjectAsync(request, cancellation));
                if (string.IsNullOrEmpty(put.VersionId) || put.VersionId == "null")
                {
                    throw Unversioned("gave the uploaded object no version (its versioning was suspended)");
                }

                objects.Add(new ArtifactObject
                {
                    RelativePath = entry.RelativePath, Key = request.Key, VersionId = put.VersionId, Sha256 = hex, Size = content.LongLength,
                    Mode = entry.Mode, Owner = entry.Owner, Group = entry.Group,
                });
            }
        }
        catch (Exception ex) when (ex is RollbackException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            // Nothing names these objects yet: they go, so a failed capture leaves nothing behind.
            TryRemove(s3, pointPrefix);
            throw;
        }

        // The staged folder becomes the point's local folder: a whole copy of what was uploaded.
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(stagingArtifacts)!, FetchedMarker), Location + "\n");
        var folder = NativeFileSystem.CanStat ? NativeFileSystem.Stat(stagingArtifacts) : null;
        return new ArtifactObjects
        {
            Location = $"s3://{_bucket}/{pointPrefix}",
            Objects = objects,
            FolderMode = folder is null ? null : NativeFileSystem.FormatMode(folder.Mode),
            FolderOwner = folder?.Owner,
            FolderGroup = folder?.Group,
        };
    }

    public void Fetch(RollbackPoint point, CancellationToken cancellation)
    {
        var directory = Open(point.Target, point.Id);
        if (point.StoredObjects is null || File.Exists(Path.Combine(directory, FetchedMarker)))
        {
            // Nothing uploaded (a point kept in this folder), or already fetched whole: the readiness check proves it.
            return;
        }

        var targetDirectory = _store.Points.TargetDirectory(point.Target);
        StoreFiles.CreateOwnerOnlyDirectory(_store.PointsDirectory);
        StoreFiles.CreateOwnerOnlyDirectory(targetDirectory);
        var fetching = Path.Combine(targetDirectory, $".fetching-{point.Id}-{Guid.NewGuid():N}");
        var artifacts = Path.Combine(fetching, PointStore.ArtifactsFolderName);
        StoreFiles.CreateOwnerOnlyDirectory(fetching);
        StoreFiles.CreateOwnerOnlyDirectory(artifacts);
        try
        {
            using (var s3 = _client())
            {
                Download(s3, point, artifacts, cancellation);
            }

            File.WriteAllText(Path.Combine(fetching, FetchedMarker), Location + "\n");
            if (Directory.Exists(directory) && !File.Exists(Path.Combine(directory, FetchedMarker)))
            {
                // A copy cut short by a process that died: never proven whole.
                StoreFiles.DeleteWithoutFollowingLinks(directory);
            }

            try
            {
                Directory.Move(fetching, directory);
            }
            catch (IOException) when (File.Exists(Path.Combine(directory, FetchedMarker)))
            {
                // Another process put its whole copy in place first: the same recorded versions, kept.
            }
        }
        finally
        {
            if (Directory.Exists(fetching))
            {
                // Failed, or another process put a whole copy in place first.
                StoreFiles.DeleteWithoutFollowingLinks(fetching);
            }
        }
    }

    public void Remove(string target, string id) => RemoveCopyAndObjects(Open(target, id), PointPrefix(target, id));

    public void RemoveAll(string target) => RemoveCopyAndObjects(_store.Points.TargetDirectory(target), _prefix + target.ToLowerInvariant() + "/");

    /// <summary>The local copy in <paramref name="directory"/>, then every version of the objects under <paramref name="prefix"/>.</summary>
    private void RemoveCopyAndObjects(string directory, string prefix)
    {
        if (Directory.Exists(directory))
        {
            StoreFiles.DeleteWithoutFollowingLinks(directory);
        }

        using var s3 = _client();
        RemoveVersions(s3, prefix);
    }

    private const string DirectoryType = "Directory";

    private static bool IsFile(ArtifactEntry entry) => entry.LinkTarget is null && entry.Type is null;

    private static (string Hex, string Base64) Hash(byte[] content)
    {
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(content);
        return (Checksums.ToHex(hash), Convert.ToBase64String(hash));
    }

    private string PointPrefix(string target, string id)
    {
        TargetRegistry.ValidateName(target);
        PointStore.ValidateId(id);
        return $"{_prefix}{target.ToLowerInvariant()}/{id}/";
    }

    /// <summary>The point's stored folder rebuilt in <paramref name="artifacts"/>: folders and links as recorded, each file its recorded version, checked.</summary>
    private void Download(IS3Client s3, RollbackPoint point, string artifacts, CancellationToken cancellation)
    {
        var record = point.StoredObjects!;
        foreach (var folder in record.Objects.Where(o => o.Type == DirectoryType))
        {
            Directory.CreateDirectory(SafePath.Resolve(artifacts, folder.RelativePath));
        }

        foreach (var item in record.Objects.Where(o => o.Type is null))
        {
            cancellation.ThrowIfCancellationRequested();
            var path = SafePath.Resolve(artifacts, item.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (item.LinkTarget is not null)
            {
                NativeFileSystem.CreateDirectoryLink(path, item.LinkTarget);
                continue;
            }

            if (item.Key is null || item.VersionId is null || item.Sha256 is null)
            {
                throw Missing(point, item, $"its manifest names no uploaded object for it (under {record.Location})");
            }

            GetObjectContentResponse answer;
            try
            {
                answer = AwsProviderSupport.Wait(s3.GetObjectContentAsync(new GetObjectRequest { BucketName = _bucket, Key = item.Key, VersionId = item.VersionId }, cancellation));
            }
            catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
            {
                throw Missing(point, item, $"s3://{_bucket}/{item.Key} (version {item.VersionId}) is gone from the bucket", ex);
            }

            var (hex, base64) = Hash(answer.Content);
            if (hex != item.Sha256 || (answer.ChecksumSHA256 is { Length: > 0 } kept && kept != base64))
            {
                throw new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                    $"The artifact '{item.RelativePath}' of point {point.Id} as read from s3://{_bucket}/{item.Key} (version {item.VersionId}) differs from what was captured: its SHA-256 is {hex}, the manifest's {item.Sha256}. Nothing was restored. Do not use this point; roll back to another (Get-RollbackPoint -Target {point.Target}) and find out who wrote to the bucket.",
                    point.Id);
            }

            File.WriteAllBytes(path, answer.Content);
        }

        // The copy holds the modes and owners the staged one had (a kind may check its store copy's, as Directory does).
        var entries = record.Objects.Select(o => new ArtifactEntry { RelativePath = o.RelativePath, Sha256 = o.Sha256 ?? string.Empty, Type = o.Type, LinkTarget = o.LinkTarget, Mode = o.Mode, Owner = o.Owner, Group = o.Group }).ToList();
        FileTree.ApplyMetadata(artifacts, entries, NullReporter.Instance, cancellation);
        FileTree.ApplyOne(artifacts, record.FolderMode, record.FolderOwner, record.FolderGroup, isLink: false);
    }

    private static RollbackException Missing(RollbackPoint point, ArtifactObject artifact, string why, Exception? inner = null) =>
        new(RollbackErrorId.ArtifactMissing, RollbackErrorCategory.ObjectNotFound,
            $"The artifact '{artifact.RelativePath}' of point {point.Id} cannot be read back: {why}. Nothing was restored. Do not use this point; roll back to another (Get-RollbackPoint -Target {point.Target}).",
            point.Id, inner);

    private void EnsureVersioned(IS3Client s3, CancellationToken cancellation)
    {
        if (_versioningChecked)
        {
            return;
        }

        var status = AwsProviderSupport.Wait(s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = _bucket }, cancellation)).VersioningConfig.Status;
        if (!string.Equals(status, "Enabled", StringComparison.OrdinalIgnoreCase))
        {
            throw Unversioned($"keeps no versions (versioning {status})");
        }

        _versioningChecked = true;
    }

    private RollbackException Unversioned(string what) =>
        new(RollbackErrorId.StoreArtifactsUnversioned, RollbackErrorCategory.InvalidOperation,
            $"The store's artifact bucket s3://{_bucket} {what}. Points are kept there only in a versioned bucket: each point records the exact version of its objects, so a key written again or deleted cannot take the only copy of a point with it. Turn versioning on (aws s3api put-bucket-versioning --bucket {_bucket} --versioning-configuration Status=Enabled) and capture again; nothing was kept.",
            _bucket);

    private void TryRemove(IS3Client s3, string prefix)
    {
        try
        {
            RemoveVersions(s3, prefix);
        }
        catch (RollbackException)
        {
            // The upload's own failure is what the caller must see; objects no manifest names are never read.
        }
    }

    /// <summary>Deletes every version and delete marker under <paramref name="prefix"/>, for good.</summary>
    private void RemoveVersions(IS3Client s3, string prefix)
    {
        // Listed whole before the first delete, so that deleting does not move the pages' markers.
        foreach (var version in s3.AllVersions(_bucket, prefix, CancellationToken.None).ToList())
        {
            AwsProviderSupport.Wait(s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = version.Key, VersionId = version.VersionId }));
        }
    }
}
