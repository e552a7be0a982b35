using System;
using System.Collections.Generic;

namespace Rollback.Providers.Aws.Rds;

// Request and response types as the official SDK (AWSSDK.RDS) names them, with the members this module uses; the Query
// protocol (rds 2014-10-31) spells them the same way.

internal sealed class DescribeDBInstancesRequest
{
    public string? DBInstanceIdentifier { get; set; }
}

internal sealed class DescribeDBInstancesResponse
{
    public List<DBInstance> DBInstances { get; set; } = new();
}

internal sealed class DBInstance
{
    public string? DBInstanceIdentifier { get; set; }

    /// <summary>available, creating, renaming, modifying, backing-up, rebooting, failed, incompatible-restore...</summary>
    public string? DBInstanceStatus { get; set; }

    public string? DBInstanceClass { get; set; }

    public string? Engine { get; set; }

    public string? EngineVersion { get; set; }

    /// <summary>The physical instance: it stays with the instance through a rename, and a restored instance has its own.</summary>
    public string? DbiResourceId { get; set; }

    public string? DBInstanceArn { get; set; }

    public RdsEndpoint? Endpoint { get; set; }

    public string? AvailabilityZone { get; set; }

    public bool? MultiAZ { get; set; }

    public bool? PubliclyAccessible { get; set; }

    public string? StorageType { get; set; }

    public bool? DeletionProtection { get; set; }

    public bool? CopyTagsToSnapshot { get; set; }

    public string? DBSubnetGroupName { get; set; }

    public List<string> VpcSecurityGroupIds { get; set; } = new();

    public string? DBParameterGroupName { get; set; }

    public string? OptionGroupName { get; set; }

    /// <summary>Set for an Aurora cluster member, which this kind does not roll back.</summary>
    public string? DBClusterIdentifier { get; set; }

    /// <summary>Set for a read replica, which this kind does not roll back.</summary>
    public string? ReadReplicaSourceDBInstanceIdentifier { get; set; }

    public List<string> ReadReplicaDBInstanceIdentifiers { get; set; } = new();

    public List<RdsTag> TagList { get; set; } = new();
}

internal sealed class RdsEndpoint
{
    public string? Address { get; set; }

    public int? Port { get; set; }

    public override string ToString() => Port is null ? Address ?? string.Empty : $"{Address}:{Port}";
}

internal sealed class RdsTag
{
    public string? Key { get; set; }

    public string? Value { get; set; }
}

internal sealed class DescribeDBSnapshotsRequest
{
    public string? DBSnapshotIdentifier { get; set; }
}

internal sealed class DescribeDBSnapshotsResponse
{
    public List<DBSnapshot> DBSnapshots { get; set; } = new();
}

internal sealed class DBSnapshot
{
    public string? DBSnapshotIdentifier { get; set; }

    public string? DBInstanceIdentifier { get; set; }

    public string? DBSnapshotArn { get; set; }

    /// <summary>creating, available, copying, failed...</summary>
    public string? Status { get; set; }

    public int? PercentProgress { get; set; }

    public DateTime? SnapshotCreateTime { get; set; }

    public string? Engine { get; set; }

    public string? EngineVersion { get; set; }

    public int? AllocatedStorage { get; set; }
}

internal sealed class CreateDBSnapshotRequest
{
    public string? DBInstanceIdentifier { get; set; }

    public string? DBSnapshotIdentifier { get; set; }

    public List<RdsTag> Tags { get; set; } = new();
}

internal sealed class CreateDBSnapshotResponse
{
    public DBSnapshot? DBSnapshot { get; set; }
}

internal sealed class RestoreDBInstanceFromDBSnapshotRequest
{
    public string? DBInstanceIdentifier { get; set; }

    public string? DBSnapshotIdentifier { get; set; }

    public string? DBInstanceClass { get; set; }

    public string? DBSubnetGroupName { get; set; }

    public List<string>? VpcSecurityGroupIds { get; set; }

    public string? DBParameterGroupName { get; set; }

    public string? OptionGroupName { get; set; }

    public bool? MultiAZ { get; set; }

    public bool? PubliclyAccessible { get; set; }

    public string? AvailabilityZone { get; set; }

    public string? StorageType { get; set; }

    public int? Port { get; set; }

    public bool? DeletionProtection { get; set; }

    public bool? CopyTagsToSnapshot { get; set; }

    public List<RdsTag> Tags { get; set; } = new();
}

internal sealed class RestoreDBInstanceFromDBSnapshotResponse
{
    public DBInstance? DBInstance { get; set; }
}

internal sealed class ModifyDBInstanceRequest
{
    public string? DBInstanceIdentifier { get; set; }

    public string? NewDBInstanceIdentifier { get; set; }

    public bool? ApplyImmediately { get; set; }
}

internal sealed class ModifyDBInstanceResponse
{
    public DBInstance? DBInstance { get; set; }
}

internal sealed class DeleteDBInstanceRequest
{
    public string? DBInstanceIdentifier { get; set; }

    public bool? SkipFinalSnapshot { get; set; }

    public bool? DeleteAutomatedBackups { get; set; }
}

internal sealed class DeleteDBInstanceResponse
{
    public DBInstance? DBInstance { get; set; }
}
