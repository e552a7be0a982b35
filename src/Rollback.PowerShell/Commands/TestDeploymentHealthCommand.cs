using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Verification;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Checks HTTP(S) health endpoints until they are healthy (at the expected version) or the timeout passes, and emits a
/// HealthCheckResult per endpoint. Takes -Uri, or RollbackResult objects from the pipeline (their target's HealthUri
/// settings and the version rolled back to). An unhealthy endpoint also writes a non-terminating error, so that
/// -ErrorAction Stop stops a runbook.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "DeploymentHealth", DefaultParameterSetName = ByUriSet)]
[OutputType(typeof(HealthCheckResult))]
public sealed class TestDeploymentHealthCommand : RollbackCmdlet
{
    private const string ByUriSet = "ByUri";
    private const string ByResultSet = "ByResult";

    private readonly HealthProbe _probe = new();
    private X509Certificate2? _trusted;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByUriSet)]
    [Parameter(Position = 0, ParameterSetName = ByResultSet)]
    [ValidateNotNullOrEmpty]
    public System.Uri[] Uri { get; set; } = Array.Empty<System.Uri>();

    /// <summary>A result from Invoke-Rollback: its target's health settings and ToVersion are used where no parameter says otherwise.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByResultSet)]
    public RollbackResult? InputObject { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ExpectedVersion { get; set; }

    [Parameter]
    public TimeSpan Timeout { get; set; } = HealthProbeOptions.DefaultTimeout;

    [Parameter]
    public TimeSpan RetryInterval { get; set; } = HealthProbeOptions.DefaultRetryInterval;

    [Parameter]
    [ValidateRange(100, 599)]
    public int[] ExpectedStatusCode { get; set; } = Array.Empty<int>();

    [Parameter]
    [ValidateSet("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", IgnoreCase = true)]
    public string Method { get; set; } = "GET";

    [Parameter]
    public string? Body { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ContentType { get; set; } = "application/json";

    [Parameter]
    public Hashtable? Header { get; set; }

    /// <summary>A bearer token; turned into text only while each request is sent, and never written to any stream.</summary>
    [Parameter]
    public SecureString? Token { get; set; }

    /// <summary>A bearer token as a credential's password (the user name is not used).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A .cer/.pem path or a thumbprint: the one certificate to accept beyond the platform's trusted roots.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TrustedCertificate { get; set; }

    [Parameter]
    public TimeSpan? MaxLatency { get; set; }

    protected override void BeginProcessing()
    {
        if (Token is not null && Credential is not null)
        {
            ThrowArgumentError(CmdletStrings.HealthTokenAndCredential, Credential);
        }

        if ((Token is not null || Credential is not null) && Headers().ContainsKey("Authorization"))
        {
            ThrowArgumentError(CmdletStrings.HealthAuthorizationHeaderConflict, Header);
        }

        foreach (var (name, value) in new[] { (nameof(Timeout), Timeout), (nameof(RetryInterval), RetryInterval) })
        {
            if (value <= TimeSpan.Zero)
            {
                ThrowArgumentError(string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthTimeNotPositive, name, value), value);
            }
        }

        if (TrustedCertificate is not null)
        {
            _trusted = LoadCertificate(TrustedCertificate);
        }
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            foreach (var uri in Uri)
            {
                Check(Options(uri, ExpectedVersion, null, null));
            }

            return;
        }

        if (InputObject.Status == RollbackStatus.WhatIf)
        {
            WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthSkippedWhatIf, InputObject.Target));
            return;
        }

        HealthSettings settings;
        try
        {
            settings = HealthSettings.Read(Engine.Targets.Get(InputObject.Target).Settings);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
            return;
        }

        var uris = Uri.Length > 0 ? Uri : settings.Uris;
        if (uris.Count == 0)
        {
            WriteRollbackError(new RollbackException(RollbackErrorId.InvalidHealthCheckArguments, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthTargetHasNoUri, InputObject.Target), InputObject));
            return;
        }

        using var targetCertificate = _trusted is null && settings.TrustedCertificate is not null ? LoadCertificateOrReport(settings.TrustedCertificate) : null;
        if (_trusted is null && settings.TrustedCertificate is not null && targetCertificate is null)
        {
            // The error is written; checking without the certificate would only add a misleading TLS failure.
            return;
        }

        var expected = Bound(nameof(ExpectedVersion)) ? ExpectedVersion : settings.ExpectedVersionFor(InputObject.ToVersion);
        foreach (var uri in uris)
        {
            Check(Options(uri, expected, settings, targetCertificate));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _trusted?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Check(HealthProbeOptions? options)
    {
        if (options is null)
        {
            return;
        }

        WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthChecking, HealthProbe.WithoutUserInfo(options.Uri), options.ExpectedVersion ?? "-", options.Timeout));
        HealthCheckResult result;
        try
        {
            result = _probe.Check(options, new OperationContext(Reporter, TimeProvider.System, Cancellation));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or a stopped pipeline: PowerShell ends the command.
            return;
        }

        WriteObject(result);
        if (!result.Healthy)
        {
            var errorId = result.ErrorId ?? RollbackErrorId.HealthCheckFailed;
            var category = errorId is RollbackErrorId.VersionMismatch or RollbackErrorId.HealthResponseInvalid ? RollbackErrorCategory.InvalidData : RollbackErrorCategory.ResourceUnavailable;
            var message = string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthUnhealthy, result.Uri, result.Attempts, result.Elapsed.TotalSeconds, result.Detail);
            WriteRollbackError(new RollbackException(result.ErrorId ?? RollbackErrorId.HealthCheckFailed, category, message, result));
        }
    }

    /// <summary>The options for one endpoint: parameters first, then the target's settings, then the defaults.</summary>
    private HealthProbeOptions? Options(System.Uri uri, string? expectedVersion, HealthSettings? settings, X509Certificate2? targetCertificate)
    {
        if (!HealthSettings.IsHttp(uri))
        {
            WriteRollbackError(new RollbackException(RollbackErrorId.InvalidHealthCheckArguments, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.HealthUriNotHttp, uri), uri));
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (settings is not null)
        {
            foreach (var pair in Engine.Targets.GetHealthHeaders(settings))
            {
                headers[pair.Key] = pair.Value;
            }
        }

        foreach (var pair in Headers())
        {
            headers[pair.Key] = pair.Value;
        }

        return new HealthProbeOptions
        {
            Uri = uri,
            ExpectedVersion = expectedVersion,
            ExpectedStatusCodes = Bound(nameof(ExpectedStatusCode)) || settings is null ? ExpectedStatusCode : settings.ExpectedStatusCodes,
            Method = Method,
            Body = Body,
            ContentType = ContentType,
            Headers = headers,
            BearerToken = Token ?? Credential?.Password,
            TrustedCertificate = _trusted ?? targetCertificate,
            MaxLatency = Bound(nameof(MaxLatency)) || settings is null ? MaxLatency : settings.MaxLatency,
            Timeout = Bound(nameof(Timeout)) || settings is null ? Timeout : settings.Timeout,
            RetryInterval = Bound(nameof(RetryInterval)) || settings is null ? RetryInterval : settings.RetryInterval,
            Target = InputObject?.Target,
        };
    }

    private Dictionary<string, string> Headers()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Header is not null)
        {
            foreach (DictionaryEntry entry in Header)
            {
                headers[LanguagePrimitives.ConvertTo<string>(entry.Key)] = LanguagePrimitives.ConvertTo<string>(entry.Value) ?? string.Empty;
            }
        }

        return headers;
    }

    private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    private X509Certificate2 LoadCertificate(string value)
    {
        try
        {
            return Verification.TrustedCertificate.Load(value, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (RollbackException ex)
        {
            ThrowRollbackError(ex);
            throw;
        }
    }

    private X509Certificate2? LoadCertificateOrReport(string value)
    {
        try
        {
            return Verification.TrustedCertificate.Load(value);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
            return null;
        }
    }

    private void ThrowArgumentError(string message, object? target) =>
        ThrowRollbackError(new RollbackException(RollbackErrorId.InvalidHealthCheckArguments, RollbackErrorCategory.InvalidArgument, message, target));
}
