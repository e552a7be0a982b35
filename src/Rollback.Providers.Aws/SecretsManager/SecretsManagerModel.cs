using System;
using System.Collections.Generic;

namespace Rollback.Providers.Aws.SecretsManager;

// Request and response types as the official SDK names them, with the members this module uses, spelled as on the
// wire (awsJson1_1, service model secretsmanager 2017-10-17). No type here has a member for a secret value.

internal sealed class DescribeSecretRequest
{
    public string? SecretId { get; set; }
}

internal sealed class DescribeSecretResponse
{
    public string? ARN { get; set; }

    public string? Name { get; set; }

    public DateTime? DeletedDate { get; set; }

    public DateTime? LastChangedDate { get; set; }

    public bool? RotationEnabled { get; set; }

    public Dictionary<string, List<string>>? VersionIdsToStages { get; set; }
}

internal sealed class ListSecretVersionIdsRequest
{
    public string? SecretId { get; set; }

    public bool? IncludeDeprecated { get; set; }

    public int? MaxResults { get; set; }

    public string? NextToken { get; set; }
}

internal sealed class ListSecretVersionIdsResponse
{
    public string? ARN { get; set; }

    public string? Name { get; set; }

    public string? NextToken { get; set; }

    public List<SecretVersionsListEntry>? Versions { get; set; }
}

internal sealed class SecretVersionsListEntry
{
    public string? VersionId { get; set; }

    public List<string>? VersionStages { get; set; }

    public DateTime? CreatedDate { get; set; }
}

internal sealed class UpdateSecretVersionStageRequest
{
    public string? SecretId { get; set; }

    public string? VersionStage { get; set; }

    public string? MoveToVersionId { get; set; }

    public string? RemoveFromVersionId { get; set; }
}

internal sealed class UpdateSecretVersionStageResponse
{
    public string? ARN { get; set; }

    public string? Name { get; set; }
}
