using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Providers.Aws.CodeDeploy;

/// <summary>How a revision location reads to a person (the point's Version) and what identifies it exactly (its fingerprint).</summary>
internal static class CodeDeployRevision
{
    public const string S3 = "S3";
    public const string GitHub = "GitHub";
    public const string AppSpec = "AppSpecContent";

    /// <summary>s3://bucket/key#version, github:owner/repo@commit, appspec:sha256:0123456789ab.</summary>
    public static string Label(RevisionLocation revision) => revision.RevisionType switch
    {
        S3 when revision.S3Location is { } s3 => $"s3://{s3.Bucket}/{s3.Key}"
            + (!string.IsNullOrEmpty(s3.Version) ? "#" + s3.Version : !string.IsNullOrEmpty(s3.ETag) ? "#etag:" + s3.ETag : string.Empty),
        GitHub when revision.GitHubLocation is { } gh => $"github:{gh.Repository}@{gh.CommitId}",
        AppSpec when revision.AppSpecContent is { } spec => "appspec:sha256:" + AppSpecHash(spec).Substring(0, 12),
        _ => throw Unsupported(revision),
    };

    /// <summary>Equal for two locations exactly when they name the same revision (S3 bundle type and ETag included).</summary>
    public static string Fingerprint(RevisionLocation revision) => revision.RevisionType switch
    {
        S3 when revision.S3Location is { } s3 => $"codedeploy:s3:{s3.Bucket}/{s3.Key}|{s3.BundleType}|{s3.Version}|{s3.ETag}",
        GitHub when revision.GitHubLocation is { } gh => $"codedeploy:github:{gh.Repository}@{gh.CommitId}",
        AppSpec when revision.AppSpecContent is { } spec => "codedeploy:appspec:" + AppSpecHash(spec),
        _ => throw Unsupported(revision),
    };

    private static string AppSpecHash(AppSpecContent spec)
    {
        if (!string.IsNullOrEmpty(spec.Sha256))
        {
            return spec.Sha256!.ToLowerInvariant();
        }

        return Checksums.HashText(spec.Content ?? string.Empty);
    }

    private static RollbackException Unsupported(RevisionLocation revision) =>
        new(RollbackErrorId.CaptureFailed, RollbackErrorCategory.InvalidData,
            $"The deployment's revision is of type '{revision.RevisionType ?? "(none)"}' without its location; only S3, GitHub and AppSpecContent revisions can be captured and redeployed.",
            revision.RevisionType);
}
