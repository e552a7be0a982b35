using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.Rds;

/// <summary>
/// The RDS operations the RdsInstance kind uses, named and shaped like the official AWSSDK.RDS client
/// (IAmazonRDS), so that swapping that package in changes only <see cref="RdsClient"/>.
/// </summary>
internal interface IRdsClient : IDisposable
{
    Task<DescribeDBInstancesResponse> DescribeDBInstancesAsync(DescribeDBInstancesRequest request, CancellationToken cancellationToken = default);

    Task<DescribeDBSnapshotsResponse> DescribeDBSnapshotsAsync(DescribeDBSnapshotsRequest request, CancellationToken cancellationToken = default);

    Task<CreateDBSnapshotResponse> CreateDBSnapshotAsync(CreateDBSnapshotRequest request, CancellationToken cancellationToken = default);

    Task<RestoreDBInstanceFromDBSnapshotResponse> RestoreDBInstanceFromDBSnapshotAsync(RestoreDBInstanceFromDBSnapshotRequest request, CancellationToken cancellationToken = default);

    Task<ModifyDBInstanceResponse> ModifyDBInstanceAsync(ModifyDBInstanceRequest request, CancellationToken cancellationToken = default);

    Task<DeleteDBInstanceResponse> DeleteDBInstanceAsync(DeleteDBInstanceRequest request, CancellationToken cancellationToken = default);
}
