using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// The SDK signer reads the signing region and service from an <see cref="IClientConfig"/>; this is the smallest one
/// that carries them. Endpoints are resolved by <see cref="AwsHttpPipeline"/>, never through this config.
/// </summary>
internal sealed class AwsSigningConfig : ClientConfig
{
    public AwsSigningConfig(AwsServiceInfo service, string region)
        : base(new StandardDefaults())
    {
        AuthenticationServiceName = service.SigningName;
        AuthenticationRegion = region;
        ServiceName = service.SigningName;
    }

    public override string ServiceVersion => "rollback";

    public override string UserAgent => "rollback-module";

    public override string RegionEndpointServiceName => ServiceName;

    private string ServiceName { get; }

    public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters) =>
        throw new System.NotSupportedException("The Rollback AWS client resolves its own endpoints.");

    private sealed class StandardDefaults : IDefaultConfigurationProvider
    {
        public IDefaultConfiguration GetDefaultConfiguration(Amazon.RegionEndpoint clientRegion, DefaultConfigurationMode? requestedConfigurationMode = null) =>
            new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard };
    }
}
