using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>Tests that change process-wide environment variables: run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentGroup
{
    public const string Name = "Process environment";
}
