using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Store;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// A shared store's artifacts in S3: artifacts=s3://bucket/prefix in the store's connection string, with the options
/// s3endpoint (any endpoint speaking S3: moto, MinIO, a VPC endpoint), region and profile. Credentials come from the
/// AWS SDK's chain (the environment, the shared config and credentials files, the instance's role), never from the
/// connection string, which is shown. Found by the engine by its scheme among the provider assemblies' exported types,
/// like the store kinds, so neither the engine nor the PostgreSQL store references this assembly.
/// <para>
/// It speaks S3 through the module's own small S3 client (<see cref="S3Client"/>: REST-XML signed with AWSSDK.Core's
/// SigV4 signer) rather than AWSSDK.S3, which would pull a second AWS package onto the pinned AWSSDK.Core and
/// netstandard2.0; <see cref="S3ArtifactLocation"/> uses only <see cref="IS3Client"/>, shaped like IAmazonS3, so the
/// official client could replace it here alone.
/// </para>
/// </summary>
public sealed class S3ArtifactLocationKind : IArtifactLocationKind
{
    public const string EndpointOption = "s3endpoint";
    public const string RegionOption = "region";
    public const string ProfileOption = "profile";

    private readonly Func<AwsClientOptions, IS3Client> _clients;

    public S3ArtifactLocationKind()
        : this(options => new S3Client(options))
    {
    }

    internal S3ArtifactLocationKind(Func<AwsClientOptions, IS3Client> clients) => _clients = clients;

    public IReadOnlyList<string> Schemes { get; } = new[] { "s3" };

    public IReadOnlyList<string> Options { get; } = new[] { EndpointOption, RegionOption, ProfileOption };

    public Func<RollbackStore, IArtifactLocation> Prepare(ArtifactLocationRequest request)
    {
        var (bucket, prefix) = Parse(request);
        request.Options.TryGetValue(EndpointOption, out var endpoint);
        request.Options.TryGetValue(RegionOption, out var region);
        request.Options.TryGetValue(ProfileOption, out var profile);
        Uri? endpointUrl = null;
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out endpointUrl) || endpointUrl.Scheme is not ("http" or "https") || endpointUrl.UserInfo.Length > 0)
            {
                throw Invalid(request, $"its {EndpointOption} is not an absolute http or https URL without a user (like http://127.0.0.1:5000 or https://s3.eu-west-1.amazonaws.com).", EndpointOption);
            }
        }

        var options = new AwsClientOptions
        {
            Region = string.IsNullOrWhiteSpace(region) ? null : region!.Trim(),
            Profile = string.IsNullOrWhiteSpace(profile) ? null : profile!.Trim(),
            EndpointUrl = endpointUrl,
        };
        return store => new S3ArtifactLocation(store, bucket, prefix, () => _clients(options));
    }

    /// <summary>s3://bucket[/prefix]: a bucket name S3 allows and a prefix of plain path segments; never a key or secret in it.</summary>
    private static (string Bucket, string Prefix) Parse(ArtifactLocationRequest request)
    {
        var rest = request.Location.Substring("s3://".Length);
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest.Substring(0, slash);
        var prefix = slash < 0 ? string.Empty : rest.Substring(slash + 1).Trim('/');
        if (bucket.Contains('@') || bucket.Contains(':'))
        {
            // Not echoed: what stands before '@' may be a key.
            throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"The store '{request.Store}' names its S3 artifacts with credentials in the URI, which would be shown wherever the store is named. Remove them: the AWS credentials come from the environment (AWS_ACCESS_KEY_ID...), the shared credentials file or a profile (profile=NAME).",
                "s3://");
        }

        if (bucket.Length is < 3 or > 63 || !bucket.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c is '-' or '.'))
        {
            throw Invalid(request, $"'{bucket}' is not an S3 bucket name (3 to 63 lower-case letters, digits, '-' and '.'): artifacts=s3://BUCKET/prefix.", bucket);
        }

        if (prefix.Split('/').Any(segment => segment is "." or ".." || (segment.Length == 0 && prefix.Length > 0)) || prefix.Any(c => char.IsControl(c) || c is '?' or '#' or '\\'))
        {
            throw Invalid(request, $"its prefix '{prefix}' is not a plain key prefix (segments without '.', '..', '?', '#' or '\\').", prefix);
        }

        return (bucket, prefix);
    }

    private static RollbackException Invalid(ArtifactLocationRequest request, string problem, string target) =>
        new(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
            $"The store '{request.Store}' cannot keep its artifacts at {request.Location}: {problem}", target);
}
