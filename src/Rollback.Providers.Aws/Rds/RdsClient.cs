using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.Rds;

/// <summary>
/// RDS over the shared Query client (signing name "rds", API version 2014-10-31): the requests flattened as the
/// protocol wants them (RDS names its list members: VpcSecurityGroupIds.VpcSecurityGroupId.1, Tags.Tag.1.Key), the XML
/// answers read into the SDK-shaped types.
/// </summary>
internal sealed class RdsClient : IRdsClient, IReportingAwsClient
{
    private readonly AwsQueryClient _client;

    public RdsClient(AwsClientOptions options)
    {
        _client = new AwsQueryClient(AwsServiceInfo.Rds, options);
    }

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public async Task<DescribeDBInstancesResponse> DescribeDBInstancesAsync(DescribeDBInstancesRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeDBInstances", new AwsQueryParameters().Add("DBInstanceIdentifier", request.DBInstanceIdentifier), cancellationToken).ConfigureAwait(false);
        return new DescribeDBInstancesResponse { DBInstances = result.Items("DBInstances").Select(ReadInstance).ToList() };
    }

    public async Task<DescribeDBSnapshotsResponse> DescribeDBSnapshotsAsync(DescribeDBSnapshotsRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeDBSnapshots", new AwsQueryParameters().Add("DBSnapshotIdentifier", request.DBSnapshotIdentifier), cancellationToken).ConfigureAwait(false);
        return new DescribeDBSnapshotsResponse { DBSnapshots = result.Items("DBSnapshots").Select(ReadSnapshot).ToList() };
    }

    public async Task<CreateDBSnapshotResponse> CreateDBSnapshotAsync(CreateDBSnapshotRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters()
            .Add("DBInstanceIdentifier", request.DBInstanceIdentifier)
            .Add("DBSnapshotIdentifier", request.DBSnapshotIdentifier);
        AddTags(parameters, request.Tags);
        var result = await _client.InvokeAsync("CreateDBSnapshot", parameters, cancellationToken).ConfigureAwait(false);
        return new CreateDBSnapshotResponse { DBSnapshot = result.Child("DBSnapshot") is { } snapshot ? ReadSnapshot(snapshot) : null };
    }

    public async Task<RestoreDBInstanceFromDBSnapshotResponse> RestoreDBInstanceFromDBSnapshotAsync(RestoreDBInstanceFromDBSnapshotRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters()
            .Add("DBInstanceIdentifier", request.DBInstanceIdentifier)
            .Add("DBSnapshotIdentifier", request.DBSnapshotIdentifier)
            .Add("DBInstanceClass", request.DBInstanceClass)
            .Add("DBSubnetGroupName", request.DBSubnetGroupName)
            .Add("DBParameterGroupName", request.DBParameterGroupName)
            .Add("OptionGroupName", request.OptionGroupName)
            .Add("MultiAZ", request.MultiAZ)
            .Add("PubliclyAccessible", request.PubliclyAccessible)
            .Add("AvailabilityZone", request.AvailabilityZone)
            .Add("StorageType", request.StorageType)
            .Add("Port", request.Port)
            .Add("DeletionProtection", request.DeletionProtection)
            .Add("CopyTagsToSnapshot", request.CopyTagsToSnapshot);
        if (request.VpcSecurityGroupIds is { Count: > 0 } groups)
        {
            parameters.AddList("VpcSecurityGroupIds", groups, "VpcSecurityGroupId");
        }

        AddTags(parameters, request.Tags);
        var result = await _client.InvokeAsync("RestoreDBInstanceFromDBSnapshot", parameters, cancellationToken).ConfigureAwait(false);
        return new RestoreDBInstanceFromDBSnapshotResponse { DBInstance = InstanceIn(result) };
    }

    public async Task<ModifyDBInstanceResponse> ModifyDBInstanceAsync(ModifyDBInstanceRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters()
            .Add("DBInstanceIdentifier", request.DBInstanceIdentifier)
            .Add("NewDBInstanceIdentifier", request.NewDBInstanceIdentifier)
            .Add("ApplyImmediately", request.ApplyImmediately);
        var result = await _client.InvokeAsync("ModifyDBInstance", parameters, cancellationToken).ConfigureAwait(false);
        return new ModifyDBInstanceResponse { DBInstance = InstanceIn(result) };
    }

    public async Task<DeleteDBInstanceResponse> DeleteDBInstanceAsync(DeleteDBInstanceRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters()
            .Add("DBInstanceIdentifier", request.DBInstanceIdentifier)
            .Add("SkipFinalSnapshot", request.SkipFinalSnapshot)
            .Add("DeleteAutomatedBackups", request.DeleteAutomatedBackups);
        var result = await _client.InvokeAsync("DeleteDBInstance", parameters, cancellationToken).ConfigureAwait(false);
        return new DeleteDBInstanceResponse { DBInstance = InstanceIn(result) };
    }

    public void Dispose() => _client.Dispose();

    private static void AddTags(AwsQueryParameters parameters, System.Collections.Generic.List<RdsTag> tags)
    {
        if (tags.Count > 0)
        {
            parameters.AddEach("Tags", tags, (p, prefix, tag) => p.Add(prefix + ".Key", tag.Key).Add(prefix + ".Value", tag.Value), "Tag");
        }
    }

    /// <summary>The DBInstance an answer of RestoreDBInstanceFromDBSnapshot, ModifyDBInstance or DeleteDBInstance carries, if any.</summary>
    private static DBInstance? InstanceIn(XElement result) => result.Child("DBInstance") is { } instance ? ReadInstance(instance) : null;

    private static DBInstance ReadInstance(XElement instance) => new()
    {
        DBInstanceIdentifier = instance.Text("DBInstanceIdentifier"),
        DBInstanceStatus = instance.Text("DBInstanceStatus"),
        DBInstanceClass = instance.Text("DBInstanceClass"),
        Engine = instance.Text("Engine"),
        EngineVersion = instance.Text("EngineVersion"),
        DbiResourceId = instance.Text("DbiResourceId"),
        DBInstanceArn = instance.Text("DBInstanceArn"),
        Endpoint = instance.Child("Endpoint") is { } endpoint ? new RdsEndpoint { Address = endpoint.Text("Address"), Port = endpoint.Int("Port") } : null,
        AvailabilityZone = instance.Text("AvailabilityZone"),
        MultiAZ = instance.Bool("MultiAZ"),
        PubliclyAccessible = instance.Bool("PubliclyAccessible"),
        StorageType = instance.Text("StorageType"),
        DeletionProtection = instance.Bool("DeletionProtection"),
        CopyTagsToSnapshot = instance.Bool("CopyTagsToSnapshot"),
        DBSubnetGroupName = instance.Child("DBSubnetGroup").Text("DBSubnetGroupName"),
        VpcSecurityGroupIds = instance.Items("VpcSecurityGroups").Select(g => g.Text("VpcSecurityGroupId")).OfType<string>().ToList(),
        DBParameterGroupName = instance.Items("DBParameterGroups").Select(g => g.Text("DBParameterGroupName")).FirstOrDefault(),
        OptionGroupName = instance.Items("OptionGroupMemberships").Select(g => g.Text("OptionGroupName")).FirstOrDefault(),
        DBClusterIdentifier = instance.Text("DBClusterIdentifier"),
        ReadReplicaSourceDBInstanceIdentifier = instance.Text("ReadReplicaSourceDBInstanceIdentifier"),
        ReadReplicaDBInstanceIdentifiers = instance.Items("ReadReplicaDBInstanceIdentifiers").Select(r => r.Value).ToList(),
        TagList = instance.Items("TagList").Select(t => new RdsTag { Key = t.Text("Key"), Value = t.Text("Value") }).ToList(),
    };

    private static DBSnapshot ReadSnapshot(XElement snapshot) => new()
    {
        DBSnapshotIdentifier = snapshot.Text("DBSnapshotIdentifier"),
        DBInstanceIdentifier = snapshot.Text("DBInstanceIdentifier"),
        DBSnapshotArn = snapshot.Text("DBSnapshotArn"),
        Status = snapshot.Text("Status"),
        PercentProgress = snapshot.Int("PercentProgress"),
        SnapshotCreateTime = snapshot.Time("SnapshotCreateTime"),
        Engine = snapshot.Text("Engine"),
        EngineVersion = snapshot.Text("EngineVersion"),
        AllocatedStorage = snapshot.Int("AllocatedStorage"),
    };
}
