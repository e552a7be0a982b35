using Xunit;

namespace Rollback.Testing;

/// <summary>
/// The tests that use the real PostgreSQL server: one <see cref="PostgreSqlServer"/> for the whole test run of this
/// assembly, each test with databases of its own. Linked source (each test assembly compiles its own definition).
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlGroup : ICollectionFixture<PostgreSqlServer>
{
    public const string Name = "PostgreSQL server";
}
