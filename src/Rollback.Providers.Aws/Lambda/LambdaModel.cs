using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Rollback.Providers.Aws.Lambda;

// Request and response types as the official SDK (AWSSDK.Lambda) names them, with the members this module uses,
// spelled as on the wire (restJson1, service model lambda 2015-03-31). Members that travel in the path or the query
// are [JsonIgnore]d: the client puts them where the model says.

internal sealed class GetAliasRequest
{
    [JsonIgnore]
    public string? FunctionName { get; set; }

    [JsonIgnore]
    public string? Name { get; set; }
}

/// <summary>GetAlias and UpdateAlias answer with the alias configuration.</summary>
internal class AliasConfigurationResponse
{
    public string? AliasArn { get; set; }

    public string? Name { get; set; }

    public string? FunctionVersion { get; set; }

    public string? Description { get; set; }

    public AliasRoutingConfiguration? RoutingConfig { get; set; }

    public string? RevisionId { get; set; }
}

internal sealed class GetAliasResponse : AliasConfigurationResponse
{
}

internal sealed class UpdateAliasResponse : AliasConfigurationResponse
{
}

/// <summary>A weighted alias: the share of invocations (0.0 to 1.0) each additional version gets; the alias's own version gets the rest.</summary>
internal sealed class AliasRoutingConfiguration
{
    public Dictionary<string, double>? AdditionalVersionWeights { get; set; }
}

internal sealed class UpdateAliasRequest
{
    [JsonIgnore]
    public string? FunctionName { get; set; }

    [JsonIgnore]
    public string? Name { get; set; }

    public string? FunctionVersion { get; set; }

    public string? Description { get; set; }

    /// <summary>An empty AdditionalVersionWeights removes the weights; null leaves them as they are.</summary>
    public AliasRoutingConfiguration? RoutingConfig { get; set; }

    /// <summary>Only update the alias if its revision is still this one (PreconditionFailedException otherwise).</summary>
    public string? RevisionId { get; set; }
}

internal sealed class GetFunctionConfigurationRequest
{
    [JsonIgnore]
    public string? FunctionName { get; set; }

    [JsonIgnore]
    public string? Qualifier { get; set; }
}

internal sealed class GetFunctionConfigurationResponse
{
    public string? FunctionName { get; set; }

    public string? FunctionArn { get; set; }

    public string? Version { get; set; }

    public string? CodeSha256 { get; set; }

    public string? State { get; set; }

    public string? LastModified { get; set; }
}
