using System.Management.Automation;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Shows the store the other commands would use with the same -StorePath (or $env:ROLLBACK_STORE): its kind (Folder or
/// PostgreSql), where it is (a shared store's connection string, never with a password), where the points' artifacts
/// are, its schema version and the user it is used as. Opening a shared store creates or migrates its schema.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RollbackStore")]
[OutputType(typeof(RollbackStoreInfo))]
public sealed class GetRollbackStoreCommand : RollbackCmdlet
{
    protected override void EndProcessing() => WriteObject(Engine.DescribeStore());
}
