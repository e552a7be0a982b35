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

    // NginxUpstream.
    /// <summary>The nginx configuration file does not parse (an unclosed block or quote, a directive without its ';'), or cannot be read.</summary>
    public const string NginxConfigMalformed = nameof(NginxConfigMalformed);
    /// <summary>The file has no 'upstream NAME' block the target names, or the upstream lacks a server a colour names.</summary>
    public const string NginxUpstreamNotFound = nameof(NginxUpstreamNotFound);
    /// <summary>No proxy_pass names one of ProxyPassUpstreams, or not as many as the point's.</summary>
    public const string NginxProxyPassNotFound = nameof(NginxProxyPassNotFound);
    /// <summary>nginx's test (nginx -t) refuses the configuration file as it would be written: nothing was changed.</summary>
    public const string NginxConfigRejected = nameof(NginxConfigRejected);
    /// <summary>No nginx master runs at the pid file (missing, empty or stale): nothing was changed.</summary>
    public const string NginxNotRunning = nameof(NginxNotRunning);
    /// <summary>nginx started no new worker within ReloadTimeout of the reload signal; the previous file was put back.</summary>
    public const string NginxReloadFailed = nameof(NginxReloadFailed);
    /// <summary>What would take the traffic fails its direct health URL (or answers another version).</summary>
    public const string NginxServerUnhealthy = nameof(NginxServerUnhealthy);
    /// <summary>No nginx binary to test the configuration with (NginxBinary, PATH, /usr/sbin/nginx).</summary>
    public const string NginxBinaryNotFound = nameof(NginxBinaryNotFound);
    /// <summary>A proxy_pass switch was asked to move traffic in steps: it moves all at once.</summary>
    public const string NginxStepsNeedWeights = nameof(NginxStepsNeedWeights);
}
