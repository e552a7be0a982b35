using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.CloudFront;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Verification;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// A static site in a versioned S3 bucket, optionally behind CloudFront. A point is a manifest, not a copy: the version
/// id, ETag and size of every object under the prefix (bucket versioning keeps the content). Readiness checks that
/// versioning is on and that every captured version still exists (a lifecycle rule may have expired it). Rolling back
/// copies each captured version whose content is not live back over its key (CopyObject from the version: a new
/// current version with the old content and metadata), assets first, pages next, the version marker last, then deletes
/// the keys that did not exist at capture (a delete marker: their versions stay), checks the listing, has CloudFront
/// invalidate the changed paths and follows the invalidation until Completed, and reads the version marker through the
/// site's URL when one is configured.
/// </summary>
public sealed class S3StaticSiteProvider : IRollbackProvider
{
    public const string KindName = "S3StaticSite";
    public const string BucketNameSetting = "BucketName";
    public const string PrefixSetting = "Prefix";
    public const string DistributionIdSetting = "DistributionId";
    public const string CloudFrontEndpointUrlSetting = "CloudFrontEndpointUrl";
    public const string VersionMarkerKeySetting = "VersionMarkerKey";
    public const string SiteUrlSetting = "SiteUrl";
    public const string VerifySecondsSetting = "VerifySeconds";

    // Keys of the result's and the journal's Details.
    public const string CopiedDetail = "S3.Copied";
    public const string DeletedDetail = "S3.Deleted";
    public const string InvalidationIdDetail = "CloudFront.InvalidationId";
    public const string InvalidationPathsDetail = "CloudFront.Paths";
    public const string InvalidationStatusDetail = "CloudFront.InvalidationStatus";

    private const string ArtifactFile = "s3-site.json";
    private const string Enabled = "Enabled";
    private const int NamedInMessages = 5;

    private static readonly FollowSettings Follow = new(KindName, 10, 20, "the CloudFront invalidation", "CloudFront");

    private readonly Func<RollbackTarget, IS3Client> _s3;
    private readonly Func<RollbackTarget, ICloudFrontClient> _cloudFront;

    public S3StaticSiteProvider()
        : this(target => new S3Client(AwsClientOptions.FromSettings(target.Settings)),
            target => new CloudFrontClient(AwsClientOptions.FromSettings(target.Settings, target.Settings.GetString(CloudFrontEndpointUrlSetting))))
    {
    }

    /// <summary>For tests: the S3 and CloudFront clients for a target.</summary>
    internal S3StaticSiteProvider(Func<RollbackTarget, IS3Client> s3, Func<RollbackTarget, ICloudFrontClient> cloudFront)
    {
        _s3 = s3;
        _cloudFront = cloudFront;
    }

    public string Kind => KindName;

    public string Description => "A static site in a versioned S3 bucket: its objects' captured versions copied back, objects added since deleted, and the CloudFront cache invalidated.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = BucketNameSetting, Type = SettingType.Text, Required = true, Description = "The bucket that holds the site (versioning must be Enabled)." },
            new SettingDefinition { Name = PrefixSetting, Type = SettingType.Text, Default = "", Description = "The folder of the site in the bucket ('site/'); empty: the whole bucket." },
            new SettingDefinition { Name = DistributionIdSetting, Type = SettingType.Text, Description = "The CloudFront distribution that serves the site; its cache is invalidated for the changed paths. None: no invalidation." },
            new SettingDefinition { Name = CloudFrontEndpointUrlSetting, Type = SettingType.Uri, Description = "The CloudFront endpoint; else EndpointUrl when set, else cloudfront.amazonaws.com." },
            new SettingDefinition { Name = VersionMarkerKeySetting, Type = SettingType.Text, Description = "An object under the prefix whose content is the site's version ('version.txt', or JSON with a version member): the point's version, and what the site must serve after a rollback." },
            new SettingDefinition { Name = SiteUrlSetting, Type = SettingType.Uri, Description = "The URL the prefix's root is served at (the CloudFront domain, the S3 website endpoint); with VersionMarkerKey the marker is read through it after a rollback." },
            new SettingDefinition { Name = VerifySecondsSetting, Type = SettingType.Number, Default = "60", PerCall = true, Description = "How long the site may take to serve the captured version marker." },
        }.Concat(Follow.Definitions).Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.S3VersioningDisabled, "Turn bucket versioning on (aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled), deploy, and capture a point: without versions there is nothing to go back to."),
            new ErrorIdInfo(AwsErrorId.S3ObjectVersionMissing, "A captured object version is gone (a lifecycle rule expired it, or it was deleted): roll back to a newer point, or lengthen the bucket's NoncurrentVersionExpiration so points stay restorable."),
            new ErrorIdInfo(AwsErrorId.S3SiteNotRestored, "After the copies the listing does not show the captured content (another deployment wrote at the same time?): list the prefix (aws s3api list-object-versions) and roll back again."),
            new ErrorIdInfo(AwsErrorId.CloudFrontInvalidationInProgress, "The invalidation was still in progress when following stopped (FollowMinutes, or Ctrl+C): it goes on in CloudFront. Follow it with aws cloudfront get-invalidation."),
            new ErrorIdInfo(AwsErrorId.S3SiteVerificationFailed, "The site does not serve the captured version marker: check the cache (another invalidation), SiteUrl, and what serves the site."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var bucket = AwsProviderSupport.RequiredSetting(settings, BucketNameSetting, "the bucket", KindName, $"@{{ {BucketNameSetting} = 'www-example'; {PrefixSetting} = 'site/'; Region = 'eu-west-1' }}");
        if (bucket.Contains('/'))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"The setting '{BucketNameSetting}' of a {KindName} target names the bucket alone (got '{bucket}'); the folder goes in {PrefixSetting}.", BucketNameSetting);
        }

        var prefix = NormalPrefix(settings.GetString(PrefixSetting));
        var marker = settings.GetString(VersionMarkerKeySetting)?.Trim().TrimStart('/');
        if (settings.GetString(SiteUrlSetting) is { Length: > 0 } && string.IsNullOrEmpty(marker))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"{SiteUrlSetting} is used to read the site's version marker: name it in {VersionMarkerKeySetting} (such as 'version.txt', relative to the prefix).", SiteUrlSetting);
        }

        _ = AwsClientOptions.FromSettings(settings);
        _ = AwsClientOptions.FromSettings(settings, settings.GetString(CloudFrontEndpointUrlSetting));
        Follow.Validate(settings);
        _ = Positive(settings, VerifySecondsSetting, 60);
        var normal = settings.With(BucketNameSetting, bucket).With(PrefixSetting, prefix);
        return string.IsNullOrEmpty(marker) ? normal : normal.With(VersionMarkerKeySetting, marker!);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var s3 = AwsProviderSupport.Reporting(_s3(target), context.Reporter);
        var live = SiteListing.Read(s3, Bucket(target), Prefix(target), context.Cancellation).Current;
        var marker = ReadMarker(s3, target, live, context);
        return new TargetState
        {
            Version = marker ?? SiteListing.Label(live),
            Fingerprint = SiteListing.Fingerprint(live),
            Detail = $"s3://{Bucket(target)}/{Prefix(target)} holds {live.Count} objects{(marker is null ? string.Empty : $", version marker {marker}")}.",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = $"Capturing static site s3://{Bucket(target)}/{Prefix(target)}";
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetBucketVersioning" });
        try
        {
            using var s3 = AwsProviderSupport.Reporting(_s3(target), context.Reporter);
            var versioning = Versioning(s3, target, context.Cancellation);
            if (versioning != Enabled)
            {
                throw VersioningOff(target, versioning);
            }

            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "ListObjectVersions" });
            var live = SiteListing.Read(s3, Bucket(target), Prefix(target), context.Cancellation).Current;
            if (live.Count == 0 && !context.IsSafetyPoint)
            {
                throw new RollbackException(RollbackErrorId.CaptureFailed, RollbackErrorCategory.ObjectNotFound,
                    $"s3://{Bucket(target)}/{Prefix(target)} holds no object, so there is no site to capture: check {BucketNameSetting} and {PrefixSetting}.", Bucket(target));
            }

            var marker = ReadMarker(s3, target, live, context);
            var captured = new CapturedSite
            {
                BucketName = Bucket(target),
                Prefix = Prefix(target),
                VersionMarkerKey = MarkerKey(target),
                Marker = marker,
                Objects = live.ToList(),
            };
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [BucketNameSetting] = Bucket(target),
                [PrefixSetting] = Prefix(target),
                ["Objects"] = live.Count.ToString(CultureInfo.InvariantCulture),
                ["Bytes"] = live.Sum(o => o.Size).ToString(CultureInfo.InvariantCulture),
            };
            return new CapturedState { Version = marker ?? SiteListing.Label(live), Fingerprint = SiteListing.Fingerprint(live), Artifacts = new[] { artifact }, Metadata = metadata };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        var captured = ReadCaptured(target, point);
        using var s3 = AwsProviderSupport.Reporting(_s3(target), context.Reporter);
        checks.Add(AwsProviderSupport.Guard("BucketVersioning", () =>
        {
            var status = Versioning(s3, target, context.Cancellation);
            return status == Enabled
                ? CheckResult.Pass("BucketVersioning", $"Versioning of bucket {Bucket(target)} is Enabled: the rollback's copies and deletes keep every version.")
                : CheckResult.Fail("BucketVersioning", AwsErrorId.S3VersioningDisabled, VersioningOff(target, status).Message);
        }));

        checks.Add(AwsProviderSupport.Guard("CapturedVersionsExist", () =>
        {
            var listing = SiteListing.Read(s3, Bucket(target), Prefix(target), context.Cancellation);
            var missing = captured.Objects.Where(o => !listing.Versions.Contains((o.Key, o.VersionId))).ToList();
            if (missing.Count > 0)
            {
                return CheckResult.Fail("CapturedVersionsExist", AwsErrorId.S3ObjectVersionMissing,
                    $"{missing.Count} of the point's {captured.Objects.Count} object versions no longer exist in s3://{Bucket(target)}: {Name(missing.Select(o => $"{o.Key} (version {o.VersionId})"))}. A lifecycle rule expired them, or they were deleted; roll back to a newer point.");
            }

            var changes = new SiteChanges(captured.Objects, listing.Current, captured.VersionMarkerKey);
            return CheckResult.Pass("CapturedVersionsExist", $"All {captured.Objects.Count} captured object versions exist; a rollback copies {changes.Copy.Count} back and deletes {changes.Delete.Count}.");
        }));

        if (DistributionId(target) is { } distributionId)
        {
            using var cloudFront = AwsProviderSupport.Reporting(_cloudFront(target), context.Reporter);
            checks.Add(AwsProviderSupport.Guard("DistributionExists", () =>
            {
                var distribution = GetDistribution(cloudFront, distributionId, context.Cancellation);
                var origin = InvalidationPaths.OriginOf(distribution, Bucket(target));
                return origin is null
                    ? CheckResult.Warn("DistributionExists", $"Distribution {distributionId} ({distribution.DomainName}) has no origin on bucket {Bucket(target)}: the rollback invalidates every path (/*).")
                    : CheckResult.Pass("DistributionExists", $"Distribution {distributionId} ({distribution.DomainName}) serves bucket {Bucket(target)} through origin {origin.Id}{(string.IsNullOrEmpty(origin.OriginPath) ? string.Empty : " at " + origin.OriginPath)}.");
            }));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        var steps = new List<PlannedStep>
        {
            new("RestoreObjects", $"Copy the captured version of each of the {captured.Objects.Count} objects of s3://{Bucket(target)}/{Prefix(target)} whose content is not live back over it (assets, then pages, then the version marker), and delete the objects added since the point (a delete marker: their versions stay)."),
            new("VerifyObjects", "List the prefix again: every key must hold the captured content, and no other key may exist."),
        };
        if (DistributionId(target) is { } distributionId)
        {
            steps.Add(new PlannedStep("InvalidateCache", $"Have CloudFront distribution {distributionId} invalidate the changed paths (CreateInvalidation)."));
            steps.Add(new PlannedStep("FollowInvalidation", "Follow the invalidation (GetInvalidation) until it is Completed."));
        }

        if (SiteUrl(target) is { } site && captured.Marker is not null)
        {
            steps.Add(new PlannedStep("VerifySite", $"Read {MarkerUrl(site, captured)} until it serves version {captured.Marker}."));
        }

        return steps;
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        using var s3 = AwsProviderSupport.Reporting(_s3(target), context.Reporter);
        var live = SiteListing.Read(s3, Bucket(target), Prefix(target), context.Cancellation).Current;
        var changes = new SiteChanges(captured.Objects, live, captured.VersionMarkerKey);
        context.Reporter.Verbose($"s3://{Bucket(target)}/{Prefix(target)}: {changes.Copy.Count} objects to copy back, {changes.Delete.Count} to delete.");

        context.Switch("RestoreObjects", () => RestoreObjects(s3, target, changes, context));
        context.Step("VerifyObjects", () =>
        {
            var after = SiteListing.Read(s3, Bucket(target), Prefix(target), context.Cancellation).Current;
            var now = after.ToDictionary(o => o.Key, StringComparer.Ordinal);
            var wrong = captured.Objects.Where(o => !now.TryGetValue(o.Key, out var found) || !found.SameContent(o)).Select(o => o.Key)
                .Concat(after.Select(o => o.Key).Except(captured.Objects.Select(o => o.Key), StringComparer.Ordinal)).ToList();
            if (wrong.Count > 0)
            {
                throw new RollbackException(AwsErrorId.S3SiteNotRestored, RollbackErrorCategory.InvalidResult,
                    $"After the copies {wrong.Count} keys of s3://{Bucket(target)}/{Prefix(target)} do not hold the captured content (or should not exist): {Name(wrong)}. Another deployment may have written at the same time: list them (aws s3api list-object-versions) and roll back again.", Bucket(target));
            }
        });

        if (DistributionId(target) is { } distributionId && !changes.None)
        {
            using var cloudFront = AwsProviderSupport.Reporting(_cloudFront(target), context.Reporter);
            var invalidation = context.Step("InvalidateCache", () => Invalidate(cloudFront, target, distributionId, changes, context));
            context.Step("FollowInvalidation", () => FollowInvalidation(cloudFront, target, distributionId, invalidation, context));
        }

        if (SiteUrl(target) is { } site && captured.Marker is not null)
        {
            context.Step("VerifySite", () => VerifySite(target, site, captured, context));
        }
    }

    private static void RestoreObjects(IS3Client s3, RollbackTarget target, SiteChanges changes, RestoreContext context)
    {
        var activity = $"Restoring static site s3://{Bucket(target)}/{Prefix(target)}";
        var total = changes.Copy.Count + changes.Delete.Count;
        var done = 0;
        void Report(string status) => context.Reporter.Progress(new ProgressUpdate
        {
            ActivityId = ProgressActivity.Stage, Activity = activity, Status = status, PercentComplete = total == 0 ? 100 : done * 100 / total,
        });

        try
        {
            // Each call is sent whole (never cut by Ctrl+C half-way); Ctrl+C is honoured between objects.
            foreach (var item in changes.Copy)
            {
                Stop(context, target, done, total);
                Report("CopyObject " + item.Key);
                AwsProviderSupport.Wait(s3.CopyObjectAsync(new CopyObjectRequest
                {
                    SourceBucket = Bucket(target),
                    SourceKey = item.Key,
                    SourceVersionId = item.VersionId,
                    DestinationBucket = Bucket(target),
                    DestinationKey = item.Key,
                }, CancellationToken.None));
                done++;
            }

            foreach (var key in changes.Delete)
            {
                Stop(context, target, done, total);
                Report("DeleteObject " + key);
                AwsProviderSupport.Wait(s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket(target), Key = key }, CancellationToken.None));
                done++;
            }
        }
        finally
        {
            context.Details[CopiedDetail] = Math.Min(done, changes.Copy.Count).ToString(CultureInfo.InvariantCulture);
            context.Details[DeletedDetail] = Math.Max(0, done - changes.Copy.Count).ToString(CultureInfo.InvariantCulture);
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Stage, Activity = activity, Completed = true });
        }
    }

    private static void Stop(RestoreContext context, RollbackTarget target, int done, int total)
    {
        if (!context.Cancellation.IsCancellationRequested)
        {
            return;
        }

        var message = $"Cancelled after {done} of {total} object changes of s3://{Bucket(target)}/{Prefix(target)}: the site is part restored. Roll back again to finish, or to the safety point to undo.";
        context.Reporter.Warning(message);
        throw new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, Bucket(target), new OperationCanceledException(context.Cancellation));
    }

    private static Invalidation Invalidate(ICloudFrontClient cloudFront, RollbackTarget target, string distributionId, SiteChanges changes, RestoreContext context)
    {
        var distribution = GetDistribution(cloudFront, distributionId, context.Cancellation);
        var paths = InvalidationPaths.For(changes.Keys, distribution, Bucket(target));
        context.Details[InvalidationPathsDetail] = paths.Count <= NamedInMessages ? string.Join(" ", paths) : $"{paths.Count} paths";
        // The caller reference is the attempt's: a CreateInvalidation the client sends again after a lost answer is the same invalidation.
        var created = AwsProviderSupport.Wait(cloudFront.CreateInvalidationAsync(new CreateInvalidationRequest
        {
            DistributionId = distributionId,
            InvalidationBatch = new InvalidationBatch { CallerReference = "rollback-" + context.AttemptId, Paths = paths.ToList() },
        }, CancellationToken.None)).Invalidation;
        context.Details[InvalidationIdDetail] = created.Id ?? string.Empty;
        context.Details[InvalidationStatusDetail] = created.Status ?? string.Empty;
        context.Reporter.Verbose($"CreateInvalidation {distributionId}: {created.Id} ({created.Status}) for {Name(paths)}.");
        return created;
    }

    private static void FollowInvalidation(ICloudFrontClient cloudFront, RollbackTarget target, string distributionId, Invalidation invalidation, RestoreContext context)
    {
        var id = invalidation.Id ?? string.Empty;
        var result = RemoteOperationFollower.Follow(new RemoteOperation
        {
            Name = "Invalidation " + id,
            Activity = $"CloudFront invalidation {id} of distribution {distributionId}",
            Read = token =>
            {
                var status = AwsProviderSupport.Wait(cloudFront.GetInvalidationAsync(new GetInvalidationRequest { DistributionId = distributionId, Id = id }, token)).Invalidation.Status ?? "(no status)";
                context.Details[InvalidationStatusDetail] = status;
                // AWS answers Completed; moto answers COMPLETED.
                var completed = string.Equals(status, "Completed", StringComparison.OrdinalIgnoreCase);
                return new RemoteOperationState { Status = status, Outcome = completed ? RemoteOutcome.Succeeded : RemoteOutcome.Running, PercentComplete = completed ? 100 : -1 };
            },
            PollInterval = Follow.PollInterval(target.Settings),
            Patience = Follow.Patience(target.Settings),
            InitialStatus = invalidation.Status ?? "InProgress",
        }, context);

        var follow = $"aws cloudfront get-invalidation --distribution-id {distributionId} --id {id}";
        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return;
            case FollowEnding.Cancelled:
                var message = $"Cancelled while CloudFront invalidation {id} was {result.LastStatus}. CloudFront has no call that stops an invalidation, so it goes on: the objects are restored, and the cache is cleared when it completes. Follow it with {follow}.";
                context.Reporter.Warning(message);
                throw new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, id, result.Cancellation);
            default:
                throw new RollbackException(AwsErrorId.CloudFrontInvalidationInProgress, RollbackErrorCategory.ResourceBusy,
                    $"CloudFront invalidation {id} of distribution {distributionId} is still {result.LastStatus} after {Follow.Patience(target.Settings).TotalMinutes:0.#} minutes; it goes on in CloudFront, and the edge may serve the old objects until it completes. Follow it with {follow}.", id);
        }
    }

    private static void VerifySite(RollbackTarget target, Uri site, CapturedSite captured, RestoreContext context)
    {
        var uri = MarkerUrl(site, captured);
        var health = new HealthProbe().Check(new HealthProbeOptions
        {
            Uri = uri,
            ExpectedVersion = captured.Marker,
            Timeout = TimeSpan.FromSeconds(Positive(target.Settings, VerifySecondsSetting, 60)),
        }, context);
        if (!health.Healthy)
        {
            throw new RollbackException(AwsErrorId.S3SiteVerificationFailed, RollbackErrorCategory.InvalidResult,
                $"{uri} does not serve version {captured.Marker} after the rollback ({health.Detail}; {health.Attempts} attempts): the objects are restored in S3, but what serves the site does not show them. Check the cache and {SiteUrlSetting}.", uri.ToString());
        }
    }

    /// <summary>The marker's version as the site's live marker object says it (JSON with a version member, or plain text); null without a marker.</summary>
    private static string? ReadMarker(IS3Client s3, RollbackTarget target, IReadOnlyList<SiteObject> live, OperationContext context)
    {
        var key = MarkerKey(target);
        if (key is null)
        {
            return null;
        }

        var marker = live.FirstOrDefault(o => o.Key == key);
        if (marker is null)
        {
            context.Reporter.Warning($"The version marker s3://{Bucket(target)}/{key} does not exist: the site's version is named after its content instead.");
            return null;
        }

        var body = AwsProviderSupport.Wait(s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket(target), Key = key, VersionId = marker.VersionId }, context.Cancellation)).ContentBody;
        var version = HealthResponse.Parse(body, null).Version;
        if (version is null)
        {
            context.Reporter.Warning($"The version marker s3://{Bucket(target)}/{key} holds no version (one word of plain text, or JSON with a version member).");
        }

        return version;
    }

    private static string Versioning(IS3Client s3, RollbackTarget target, CancellationToken cancellation) =>
        AwsProviderSupport.Wait(s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = Bucket(target) }, cancellation)).VersioningConfig.Status;

    private static RollbackException VersioningOff(RollbackTarget target, string status) =>
        new(AwsErrorId.S3VersioningDisabled, RollbackErrorCategory.InvalidOperation,
            $"Versioning of bucket {Bucket(target)} is {status}, not Enabled: S3 keeps no earlier version of an object to go back to{(status == "Suspended" ? ", and a copy would overwrite the one it has" : string.Empty)}. Turn it on (aws s3api put-bucket-versioning --bucket {Bucket(target)} --versioning-configuration Status=Enabled), deploy, then capture a point.", Bucket(target));

    private static Distribution GetDistribution(ICloudFrontClient cloudFront, string id, CancellationToken cancellation) =>
        AwsProviderSupport.Wait(cloudFront.GetDistributionAsync(new GetDistributionRequest { Id = id }, cancellation)).Distribution;

    /// <summary>The marker's URL: its key under the prefix, below the site's URL (which serves the prefix's root).</summary>
    private static Uri MarkerUrl(Uri site, CapturedSite captured)
    {
        var key = captured.VersionMarkerKey!;
        var relative = key.StartsWith(captured.Prefix ?? string.Empty, StringComparison.Ordinal) ? key.Substring((captured.Prefix ?? string.Empty).Length) : key;
        return new Uri(site.ToString().TrimEnd('/') + "/" + string.Join("/", relative.Split('/').Select(Uri.EscapeDataString)));
    }

    private static string Name(IEnumerable<string> items)
    {
        var all = items.ToList();
        return string.Join(", ", all.Take(NamedInMessages)) + (all.Count > NamedInMessages ? $" and {all.Count - NamedInMessages} more" : string.Empty);
    }

    private static CapturedSite ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedSite>(target, point, ArtifactFile, c => string.IsNullOrEmpty(c.BucketName) ? "no bucket" : null);

    private static double Positive(SettingsDictionary settings, string key, double defaultValue) =>
        AwsClientOptions.PositiveNumber(settings, key, defaultValue, 100_000, $" of a {KindName} target");

    private static string NormalPrefix(string? prefix)
    {
        var trimmed = (prefix ?? string.Empty).Trim().TrimStart('/');
        return trimmed.Length == 0 || trimmed.EndsWith("/", StringComparison.Ordinal) ? trimmed : trimmed + "/";
    }

    private static string Bucket(RollbackTarget target) => target.Settings.GetString(BucketNameSetting)!;

    private static string Prefix(RollbackTarget target) => target.Settings.GetString(PrefixSetting) ?? string.Empty;

    /// <summary>The marker's full key (the prefix and the setting), or null.</summary>
    private static string? MarkerKey(RollbackTarget target) =>
        target.Settings.GetString(VersionMarkerKeySetting) is { Length: > 0 } key ? Prefix(target) + key : null;

    private static string? DistributionId(RollbackTarget target) =>
        target.Settings.GetString(DistributionIdSetting) is { } id && !string.IsNullOrWhiteSpace(id) ? id.Trim() : null;

    private static Uri? SiteUrl(RollbackTarget target) =>
        target.Settings.GetString(SiteUrlSetting) is { Length: > 0 } url ? new Uri(url) : null;

    /// <summary>The point's one artifact: the manifest of the site's objects.</summary>
    private sealed class CapturedSite
    {
        public string? BucketName { get; set; }

        public string? Prefix { get; set; }

        /// <summary>The marker's full key at capture, or null.</summary>
        public string? VersionMarkerKey { get; set; }

        /// <summary>The version the marker said at capture, or null.</summary>
        public string? Marker { get; set; }

        public List<SiteObject> Objects { get; set; } = new();
    }
}
