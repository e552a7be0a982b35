using System;
using System.Linq;
using System.Xml.Linq;

namespace Rollback.Testing;

/// <summary>
/// Test setup against moto's RDS itself (never through the checking endpoint: the module's requests are what gets
/// checked), over its Query API: DB instances, a snapshot deleted or an instance stopped the way an operator would.
/// <para>
/// moto 5.2.1's RDS does everything at once: CreateDBSnapshot and RestoreDBInstanceFromDBSnapshot answer "available"
/// straight away, and ModifyDBInstance NewDBInstanceIdentifier renames in the same call (AWS renames for a minute or
/// more, "renaming", then reboots). A restored instance keeps its source's DbiResourceId, and a rename onto an identifier
/// in use silently replaces that instance where AWS answers DBInstanceAlreadyExists. The tests script the "creating"
/// reads AWS would give through the checking endpoint.
/// </para>
/// </summary>
public sealed class MotoRds : IDisposable
{
    public const string Version = "2014-10-31";

    private readonly MotoQuery _query;

    public MotoRds(Uri moto)
    {
        _query = new MotoQuery(moto);
    }

    /// <summary>A DB instance name no other test uses (letters, digits, hyphens; at most 63).</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}".Substring(0, prefix.Length + 9);

    /// <summary>A PostgreSQL instance, available at once in moto; returns its endpoint address.</summary>
    public string CreateInstance(string identifier) =>
        Rds("CreateDBInstance", ("DBInstanceIdentifier", identifier), ("Engine", "postgres"), ("DBInstanceClass", "db.t3.micro"),
            ("MasterUsername", "shop"), ("MasterUserPassword", "not-a-real-password-1"), ("AllocatedStorage", "20"))
            .Descendants("Address").First().Value;

    public void DeleteSnapshot(string snapshot) => Rds("DeleteDBSnapshot", ("DBSnapshotIdentifier", snapshot));

    public void StopInstance(string identifier) => Rds("StopDBInstance", ("DBInstanceIdentifier", identifier));

    /// <summary>The identifiers moto lists now.</summary>
    public string[] Instances() => Rds("DescribeDBInstances").Descendants("DBInstanceIdentifier").Select(e => e.Value).ToArray();

    /// <summary>A DescribeDBInstances answer as RDS gives it while an instance is being created (for a scripted read).</summary>
    public static string CreatingAnswer(string identifier) => InstanceAnswer(identifier, "creating");

    /// <summary>A DescribeDBInstances answer with the instance in <paramref name="status"/> (for a scripted read).</summary>
    public static string InstanceAnswer(string identifier, string status) =>
        $"<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/{Version}/\"><DescribeDBInstancesResult><DBInstances><DBInstance>" +
        $"<DBInstanceIdentifier>{identifier}</DBInstanceIdentifier><DBInstanceStatus>{status}</DBInstanceStatus><Engine>postgres</Engine>" +
        "</DBInstance></DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>test-request</RequestId></ResponseMetadata></DescribeDBInstancesResponse>";

    /// <summary>A DescribeDBSnapshots answer with the snapshot in <paramref name="status"/> (for a scripted read).</summary>
    public static string SnapshotAnswer(string snapshot, string status) =>
        $"<DescribeDBSnapshotsResponse xmlns=\"http://rds.amazonaws.com/doc/{Version}/\"><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>" +
        $"<DBSnapshotIdentifier>{snapshot}</DBSnapshotIdentifier><Status>{status}</Status><PercentProgress>40</PercentProgress>" +
        "</DBSnapshot></DBSnapshots></DescribeDBSnapshotsResult><ResponseMetadata><RequestId>test-request</RequestId></ResponseMetadata></DescribeDBSnapshotsResponse>";

    /// <summary>A Query error answer of RDS (AccessDenied, Throttling...).</summary>
    public static string Error(string code, string message) =>
        $"<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/{Version}/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>test-request</RequestId></ErrorResponse>";

    public void Dispose() => _query.Dispose();

    private XElement Rds(string action, params (string Key, string Value)[] parameters) => _query.Call("rds", Version, action, parameters);
}
