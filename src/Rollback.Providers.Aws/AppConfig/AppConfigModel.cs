using System.Collections.Generic;

namespace Rollback.Providers.Aws.AppConfig;

// Answers as the official SDK (AWSSDK.AppConfig) names them, with the members this module uses, spelled as on the
// wire (restJson1, service model appconfig 2019-10-09). Path and query members are arguments of the client's methods.

internal sealed class AppConfigApplication
{
    public string? Id { get; set; }

    public string? Name { get; set; }
}

internal sealed class AppConfigConfigurationProfile
{
    public string? ApplicationId { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>"hosted" for a profile whose versions AppConfig keeps (hosted configuration versions).</summary>
    public string? LocationUri { get; set; }

    /// <summary>"AWS.AppConfig.FeatureFlags" or "AWS.Freeform".</summary>
    public string? Type { get; set; }
}

internal sealed class AppConfigEnvironment
{
    public string? ApplicationId { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>READY_FOR_DEPLOYMENT, DEPLOYING, ROLLING_BACK, ROLLED_BACK, REVERTED.</summary>
    public string? State { get; set; }
}

/// <summary>A list answer (ListApplications, ListConfigurationProfiles, ListEnvironments, ListDeployments).</summary>
internal sealed class AppConfigList<T>
{
    public List<T>? Items { get; set; }

    public string? NextToken { get; set; }
}

/// <summary>A deployment as GetDeployment, StartDeployment and StopDeployment answer it (ListDeployments' summaries carry no profile id).</summary>
internal sealed class AppConfigDeployment
{
    public string? ApplicationId { get; set; }

    public string? EnvironmentId { get; set; }

    public string? DeploymentStrategyId { get; set; }

    public string? ConfigurationProfileId { get; set; }

    public int DeploymentNumber { get; set; }

    public string? ConfigurationName { get; set; }

    public string? ConfigurationVersion { get; set; }

    /// <summary>BAKING, VALIDATING, DEPLOYING, COMPLETE, ROLLING_BACK, ROLLED_BACK, REVERTED.</summary>
    public string? State { get; set; }

    public double PercentageComplete { get; set; }

    public string? Description { get; set; }
}

internal sealed class StartDeploymentRequest
{
    public string? DeploymentStrategyId { get; set; }

    public string? ConfigurationProfileId { get; set; }

    public string? ConfigurationVersion { get; set; }

    public string? Description { get; set; }
}
