using System;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using Rollback.Errors;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// Credentials and region the way the AWS SDK and CLI find them, so a target behaves like `aws ... --profile --region`.
/// </summary>
internal static class AwsEnvironment
{
    private const string DefaultRegionVariable = "AWS_DEFAULT_REGION";

    /// <summary>
    /// The region: the explicit one (-Region, the target's Region), then the named profile's region, then the SDK's
    /// chain (AWS_REGION, the default profile, instance metadata), then AWS_DEFAULT_REGION, which the SDK does not read
    /// but the AWS CLI does.
    /// </summary>
    public static string ResolveRegion(string? region, string? profile)
    {
        if (!string.IsNullOrWhiteSpace(region))
        {
            return region!.Trim();
        }

        if (!string.IsNullOrWhiteSpace(profile) && ProfileStore().TryGetProfile(profile, out var named) && named.Region is not null)
        {
            return named.Region.SystemName;
        }

        try
        {
            // The SDK caches what it found once per process; reset so a region set in this session ($env:AWS_REGION) counts.
            FallbackRegionFactory.Reset();
            var found = FallbackRegionFactory.GetRegionEndpoint();
            if (found is not null)
            {
                return found.SystemName;
            }
        }
        catch (AmazonClientException)
        {
            // No region in the SDK's chain: fall through to the CLI's variable.
        }

        var fromCli = Environment.GetEnvironmentVariable(DefaultRegionVariable);
        if (!string.IsNullOrWhiteSpace(fromCli))
        {
            return fromCli!.Trim();
        }

        throw new RollbackException(AwsErrorId.AwsRegionMissing, RollbackErrorCategory.InvalidArgument,
            "No AWS region was given or found. Pass -Region (or the target's Region setting), set AWS_REGION or AWS_DEFAULT_REGION, or give the profile a region.",
            profile);
    }

    /// <summary>
    /// The SDK's profile store. The SDK takes AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE once per process; passing
    /// the credentials file explicitly honours a change made later in the session ($env:AWS_SHARED_CREDENTIALS_FILE).
    /// The config file's location stays as the SDK first read it.
    /// </summary>
    private static CredentialProfileStoreChain ProfileStore()
    {
        var credentialsFile = Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE");
        return string.IsNullOrWhiteSpace(credentialsFile) ? new CredentialProfileStoreChain() : new CredentialProfileStoreChain(credentialsFile);
    }

    /// <summary>
    /// Credentials from the named profile (shared credentials/config files, SSO, assume-role, process), or the SDK's
    /// default chain: environment, the default/AWS_PROFILE profile, web identity, container and instance roles.
    /// </summary>
    public static AWSCredentials ResolveCredentials(string? profile, IClientConfig config)
    {
        if (!string.IsNullOrWhiteSpace(profile))
        {
            if (ProfileStore().TryGetAWSCredentials(profile, out var fromProfile))
            {
                return fromProfile;
            }

            throw new RollbackException(AwsErrorId.AwsCredentialsMissing, RollbackErrorCategory.SecurityError,
                $"The AWS profile '{profile}' was not found in the shared config or credentials file. Check the name (aws configure list-profiles) or pass another -Profile.",
                profile);
        }

        try
        {
            return new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(config);
        }
        catch (AmazonClientException ex)
        {
            throw new RollbackException(AwsErrorId.AwsCredentialsMissing, RollbackErrorCategory.SecurityError,
                "No AWS credentials were found (environment, profiles, container or instance role). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass -Profile, or run where a role is attached.",
                null, ex);
        }
    }
}
