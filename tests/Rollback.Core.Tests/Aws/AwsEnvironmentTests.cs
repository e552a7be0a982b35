using System;
using System.IO;
using Rollback.Providers.Aws;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>Credentials from a named profile and the region chain's last step (AWS_DEFAULT_REGION): process environment, so run alone.</summary>
[Collection(ProcessEnvironmentGroup.Name)]
public sealed class AwsEnvironmentTests : IClassFixture<MotoFixture>
{
    private readonly MotoFixture _aws;

    public AwsEnvironmentTests(MotoFixture aws)
    {
        _aws = aws;
    }

    [SkippableFact]
    public void ANamedProfileSuppliesTheCredentialsAndItsRegion()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var folder = new TempFolder();
        // The region sits in the credentials file: the SDK reads AWS_CONFIG_FILE's location once per process.
        var credentials = folder.WriteFile("credentials", $"[rollback-test]\naws_access_key_id = {AwsTestEndpoint.OtherAccessKey}\naws_secret_access_key = {AwsTestEndpoint.OtherSecretKey}\nregion = {AwsTestEndpoint.Region}\n");
        var name = MotoFixture.UniqueName("profile");
        _aws.CreateSecret(name, "one");
        var failuresBefore = _aws.Endpoint!.SignatureFailures.Count;

        using (new EnvironmentScope(("AWS_SHARED_CREDENTIALS_FILE", credentials)))
        {
            using var client = new SecretsManagerClient(new AwsClientOptions { Profile = "rollback-test", EndpointUrl = _aws.EndpointUrl });
            Assert.Equal(AwsTestEndpoint.Region, client.Transport.Region);
            Assert.Equal(name, client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult().Name);

            var missing = Assert.Throws<RollbackException>(() => new SecretsManagerClient(new AwsClientOptions { Profile = "no-such-profile", Region = "us-east-1", EndpointUrl = _aws.EndpointUrl })
                .DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult());
            Assert.Equal(AwsErrorId.AwsCredentialsMissing, missing.ErrorId);
        }

        // Signed with the profile's key (the other test credential), and the endpoint verified it.
        Assert.Equal(failuresBefore, _aws.Endpoint.SignatureFailures.Count);
    }

    // The SDK reads the shared config file once per process, so these tests leave AWS_CONFIG_FILE alone.
    private static bool HasUserConfig =>
        Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") is not null
        || File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "config"));

    [SkippableFact]
    public void AwsDefaultRegionIsTheLastStepOfTheRegionChain()
    {
        Skip.If(Environment.GetEnvironmentVariable("AWS_REGION") is not null || Environment.GetEnvironmentVariable("AWS_PROFILE") is not null, "AWS_REGION or AWS_PROFILE is set here: the SDK chain answers first.");
        Skip.If(HasUserConfig, "~/.aws/config exists here and may name a region.");
        using var scope = new EnvironmentScope(("AWS_DEFAULT_REGION", "eu-central-1"), ("AWS_EC2_METADATA_DISABLED", "true"));

        Assert.Equal("eu-central-1", AwsEnvironment.ResolveRegion(null, null));
        Assert.Equal("ap-south-1", AwsEnvironment.ResolveRegion("ap-south-1", null));
    }

    [SkippableFact]
    public void NoRegionAnywhereIsAwsRegionMissing()
    {
        Skip.If(Environment.GetEnvironmentVariable("AWS_REGION") is not null || Environment.GetEnvironmentVariable("AWS_PROFILE") is not null, "AWS_REGION or AWS_PROFILE is set here: there is always a region.");
        Skip.If(HasUserConfig, "~/.aws/config exists here and may name a region.");
        using var scope = new EnvironmentScope(("AWS_DEFAULT_REGION", null), ("AWS_EC2_METADATA_DISABLED", "true"));

        var error = Assert.Throws<RollbackException>(() => AwsEnvironment.ResolveRegion(null, null));

        Assert.Equal(AwsErrorId.AwsRegionMissing, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, error.Category);
    }

    private sealed class EnvironmentScope : IDisposable
    {
        private readonly (string Name, string? Value)[] _saved;

        public EnvironmentScope(params (string Name, string? Value)[] values)
        {
            _saved = Array.ConvertAll(values, v => (v.Name, Environment.GetEnvironmentVariable(v.Name)));
            foreach (var (name, value) in values)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
