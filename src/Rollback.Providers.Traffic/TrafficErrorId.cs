using Rollback.Errors;

namespace Rollback.Providers.Traffic;

/// <summary>
/// The ErrorIds of the traffic kinds. Each is a contract: scripts catch by <c>FullyQualifiedErrorId</c>, so an id
/// never changes once shipped.
/// </summary>
[ErrorIdCatalog]
public static class TrafficErrorId
{
    // Every traffic kind: the requests through the proxy after a step.
    /// <summary>Requests through the proxy failed, or answered a version the step does not allow.</summary>
    public const string TrafficVerificationFailed = nameof(TrafficVerificationFailed);

    // HAProxyBackend.
    /// <summary>The runtime API (stats socket) does not answer: no socket, refused, or silent past RuntimeApiTimeout.</summary>
    public const string HAProxyRuntimeApiUnreachable = nameof(HAProxyRuntimeApiUnreachable);
    /// <summary>The runtime API answered a command with an error (permission denied at a level below admin, unknown command).</summary>
    public const string HAProxyRuntimeApiRefused = nameof(HAProxyRuntimeApiRefused);
    public const string HAProxyBackendNotFound = nameof(HAProxyBackendNotFound);
    /// <summary>A server the target names (Servers, Colours, HealthUrl, or a point) is not in the backend, at runtime or in the configuration file.</summary>
    public const string HAProxyServerNotFound = nameof(HAProxyServerNotFound);
    /// <summary>A server that would take traffic fails HAProxy's own check, or its direct health URL.</summary>
    public const string HAProxyServerUnhealthy = nameof(HAProxyServerUnhealthy);
    /// <summary>'haproxy -c' refuses the configuration file as it would be written: nothing was changed.</summary>
    public const string HAProxyConfigRejected = nameof(HAProxyConfigRejected);
    /// <summary>The configuration file has no section for the backend.</summary>
    public const string HAProxyConfigSectionNotFound = nameof(HAProxyConfigSectionNotFound);
    /// <summary>No haproxy binary to check the configuration with (HAProxyBinary, PATH, /usr/sbin/haproxy).</summary>
    public const string HAProxyBinaryNotFound = nameof(HAProxyBinaryNotFound);
}
