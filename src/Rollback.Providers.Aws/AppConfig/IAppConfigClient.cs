using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.AppConfig;

/// <summary>
/// The AppConfig operations the AppConfigFeatureFlags kind uses, named like the official AWSSDK.AppConfig client's
/// (IAmazonAppConfig), so that swapping that package in changes only <see cref="AppConfigClient"/>.
/// </summary>
internal interface IAppConfigClient : IDisposable
{
    Task<AppConfigApplication> GetApplicationAsync(string applicationId, CancellationToken cancellationToken);

    Task<AppConfigList<AppConfigApplication>> ListApplicationsAsync(string? nextToken, CancellationToken cancellationToken);

    Task<AppConfigConfigurationProfile> GetConfigurationProfileAsync(string applicationId, string profileId, CancellationToken cancellationToken);

    Task<AppConfigList<AppConfigConfigurationProfile>> ListConfigurationProfilesAsync(string applicationId, string? nextToken, CancellationToken cancellationToken);

    Task<AppConfigEnvironment> GetEnvironmentAsync(string applicationId, string environmentId, CancellationToken cancellationToken);

    Task<AppConfigList<AppConfigEnvironment>> ListEnvironmentsAsync(string applicationId, string? nextToken, CancellationToken cancellationToken);

    /// <summary>The hosted version's content, as text (feature flags are JSON).</summary>
    Task<string> GetHostedConfigurationVersionAsync(string applicationId, string profileId, string versionNumber, CancellationToken cancellationToken);

    /// <summary>The environment's deployments, newest first (summaries: no profile id).</summary>
    Task<AppConfigList<AppConfigDeployment>> ListDeploymentsAsync(string applicationId, string environmentId, string? nextToken, CancellationToken cancellationToken);

    Task<AppConfigDeployment> GetDeploymentAsync(string applicationId, string environmentId, int deploymentNumber, CancellationToken cancellationToken);

    Task<AppConfigDeployment> StartDeploymentAsync(string applicationId, string environmentId, StartDeploymentRequest request, CancellationToken cancellationToken);

    Task<AppConfigDeployment> StopDeploymentAsync(string applicationId, string environmentId, int deploymentNumber, CancellationToken cancellationToken);
}
