using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.AppConfig;

/// <summary>AppConfig over the shared restJson client (signing name "appconfig", API version 2019-10-09).</summary>
internal sealed class AppConfigClient : IAppConfigClient, IReportingAwsClient
{
    private const string ApplicationPath = "/applications/{ApplicationId}";
    private const string ProfilesPath = ApplicationPath + "/configurationprofiles";
    private const string ProfilePath = ProfilesPath + "/{ConfigurationProfileId}";
    private const string HostedVersionPath = ProfilePath + "/hostedconfigurationversions/{VersionNumber}";
    private const string EnvironmentsPath = ApplicationPath + "/environments";
    private const string EnvironmentPath = EnvironmentsPath + "/{EnvironmentId}";
    private const string DeploymentsPath = EnvironmentPath + "/deployments";
    private const string DeploymentPath = DeploymentsPath + "/{DeploymentNumber}";

    private readonly AwsRestJsonClient _client;

    public AppConfigClient(AwsClientOptions options)
    {
        _client = new AwsRestJsonClient(AwsServiceInfo.AppConfig, options);
    }

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public Task<AppConfigApplication> GetApplicationAsync(string applicationId, CancellationToken cancellationToken) =>
        Get<AppConfigApplication>("GetApplication", ApplicationPath, Labels(applicationId), null, cancellationToken);

    public Task<AppConfigList<AppConfigApplication>> ListApplicationsAsync(string? nextToken, CancellationToken cancellationToken) =>
        Get<AppConfigList<AppConfigApplication>>("ListApplications", "/applications", new Dictionary<string, string>(), nextToken, cancellationToken);

    public Task<AppConfigConfigurationProfile> GetConfigurationProfileAsync(string applicationId, string profileId, CancellationToken cancellationToken) =>
        Get<AppConfigConfigurationProfile>("GetConfigurationProfile", ProfilePath, Labels(applicationId, profile: profileId), null, cancellationToken);

    public Task<AppConfigList<AppConfigConfigurationProfile>> ListConfigurationProfilesAsync(string applicationId, string? nextToken, CancellationToken cancellationToken) =>
        Get<AppConfigList<AppConfigConfigurationProfile>>("ListConfigurationProfiles", ProfilesPath, Labels(applicationId), nextToken, cancellationToken);

    public Task<AppConfigEnvironment> GetEnvironmentAsync(string applicationId, string environmentId, CancellationToken cancellationToken) =>
        Get<AppConfigEnvironment>("GetEnvironment", EnvironmentPath, Labels(applicationId, environment: environmentId), null, cancellationToken);

    public Task<AppConfigList<AppConfigEnvironment>> ListEnvironmentsAsync(string applicationId, string? nextToken, CancellationToken cancellationToken) =>
        Get<AppConfigList<AppConfigEnvironment>>("ListEnvironments", EnvironmentsPath, Labels(applicationId), nextToken, cancellationToken);

    public Task<string> GetHostedConfigurationVersionAsync(string applicationId, string profileId, string versionNumber, CancellationToken cancellationToken)
    {
        var labels = Labels(applicationId, profile: profileId);
        labels["VersionNumber"] = versionNumber;
        return _client.InvokePayloadAsync("GetHostedConfigurationVersion", "GET", HostedVersionPath, labels, cancellationToken);
    }

    public Task<AppConfigList<AppConfigDeployment>> ListDeploymentsAsync(string applicationId, string environmentId, string? nextToken, CancellationToken cancellationToken) =>
        Get<AppConfigList<AppConfigDeployment>>("ListDeployments", DeploymentsPath, Labels(applicationId, environment: environmentId), nextToken, cancellationToken);

    public Task<AppConfigDeployment> GetDeploymentAsync(string applicationId, string environmentId, int deploymentNumber, CancellationToken cancellationToken) =>
        Get<AppConfigDeployment>("GetDeployment", DeploymentPath, Labels(applicationId, environment: environmentId, deployment: deploymentNumber), null, cancellationToken);

    public Task<AppConfigDeployment> StartDeploymentAsync(string applicationId, string environmentId, StartDeploymentRequest request, CancellationToken cancellationToken) =>
        _client.InvokeAsync<AppConfigDeployment>("StartDeployment", "POST", DeploymentsPath, Labels(applicationId, environment: environmentId), null, request, cancellationToken);

    public Task<AppConfigDeployment> StopDeploymentAsync(string applicationId, string environmentId, int deploymentNumber, CancellationToken cancellationToken) =>
        _client.InvokeAsync<AppConfigDeployment>("StopDeployment", "DELETE", DeploymentPath, Labels(applicationId, environment: environmentId, deployment: deploymentNumber), null, null, cancellationToken);

    public void Dispose() => _client.Dispose();

    private Task<T> Get<T>(string operation, string path, Dictionary<string, string> labels, string? nextToken, CancellationToken cancellationToken)
        where T : class, new() =>
        _client.InvokeAsync<T>(operation, "GET", path, labels, nextToken is null ? null : new Dictionary<string, string?> { ["next_token"] = nextToken }, null, cancellationToken);

    private static Dictionary<string, string> Labels(string application, string? profile = null, string? environment = null, int? deployment = null)
    {
        var labels = new Dictionary<string, string> { ["ApplicationId"] = application };
        if (profile is not null)
        {
            labels["ConfigurationProfileId"] = profile;
        }

        if (environment is not null)
        {
            labels["EnvironmentId"] = environment;
        }

        if (deployment is { } number)
        {
            labels["DeploymentNumber"] = number.ToString(CultureInfo.InvariantCulture);
        }

        return labels;
    }
}
