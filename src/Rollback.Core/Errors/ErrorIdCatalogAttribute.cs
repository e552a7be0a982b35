using System;

namespace Rollback.Errors;

/// <summary>
/// Marks a static class of <c>const string</c> ErrorIds: the engine's <see cref="RollbackErrorId"/>, or a provider
/// assembly's own (its kinds' ids). The RB1004 analyzer accepts the constants of such a class, and nothing inline.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ErrorIdCatalogAttribute : Attribute
{
}
