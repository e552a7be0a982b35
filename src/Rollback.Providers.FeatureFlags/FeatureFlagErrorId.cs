using Rollback.Errors;

namespace Rollback.Providers.FeatureFlags;

/// <summary>
/// The ErrorIds of the FeatureFlag kind. Each is a contract: scripts catch by <c>FullyQualifiedErrorId</c>, so an id
/// never changes once shipped.
/// </summary>
[ErrorIdCatalog]
public static class FeatureFlagErrorId
{
    /// <summary>The flag service does not answer: connection refused, no such host, or no answer within TimeoutSeconds.</summary>
    public const string FeatureFlagServerUnreachable = nameof(FeatureFlagServerUnreachable);

    /// <summary>The flag service refused the token (401: unknown or expired; 403: not an admin token, or not allowed in the project).</summary>
    public const string FeatureFlagAccessDenied = nameof(FeatureFlagAccessDenied);

    /// <summary>The project the target names does not exist on the server.</summary>
    public const string FeatureFlagProjectNotFound = nameof(FeatureFlagProjectNotFound);

    /// <summary>The flag does not exist in the project (never created, archived or deleted).</summary>
    public const string FeatureFlagNotFound = nameof(FeatureFlagNotFound);

    /// <summary>An environment the target or the point names is not one of the flag's environments.</summary>
    public const string FeatureFlagEnvironmentNotFound = nameof(FeatureFlagEnvironmentNotFound);

    /// <summary>The server answered something that is not the admin API's JSON (a proxy's page, a cut answer, another service).</summary>
    public const string FeatureFlagAnswerMalformed = nameof(FeatureFlagAnswerMalformed);

    /// <summary>The server refused a change or failed (a 4xx or 5xx other than the ones above), with its own message.</summary>
    public const string FeatureFlagRequestFailed = nameof(FeatureFlagRequestFailed);

    /// <summary>After the rollback the flag does not read as the point's state (another writer changed it meanwhile).</summary>
    public const string FeatureFlagNotRestored = nameof(FeatureFlagNotRestored);
}
