using System;
using System.Collections.Generic;
using System.Net.Http;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// What the protocol clients (awsJson, restJson, Query) share around their one <see cref="AwsHttpPipeline"/>: the
/// service, endpoint and region, the retry budget and clock correction for diagnostics, the reporter the notices go
/// to when the client is disposed, and a request for the SDK's signer. A protocol client adds only how it writes a
/// request and reads an answer.
/// </summary>
internal abstract class AwsProtocolClient : IDisposable
{
    protected AwsProtocolClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler? handler)
    {
        Service = service;
        Pipeline = new AwsHttpPipeline(service, options, handler ?? new HttpClientHandler { UseProxy = true, AllowAutoRedirect = false });
    }

    public AwsServiceInfo Service { get; }

    public Uri Endpoint => Pipeline.Endpoint;

    public string Region => Pipeline.Region;

    /// <summary>Tokens left in the retry budget (for tests and diagnostics).</summary>
    public int RetryBudgetAvailable => Pipeline.RetryBudgetAvailable;

    /// <summary>The clock correction the SDK applies to requests to this client's endpoint (server time minus local time).</summary>
    public TimeSpan ClockCorrection => AwsClockSkew.CorrectionFor(new Uri(Endpoint.GetLeftPart(UriPartial.Authority)));

    /// <summary>
    /// Where what the client did on the way (a clock-skew correction) is told as verbose, when the client is disposed:
    /// from the thread that disposes it, since PowerShell's streams accept writes from the pipeline thread only.
    /// </summary>
    public Rollback.Engine.IRollbackReporter? Reporter { get; set; }

    protected AwsHttpPipeline Pipeline { get; }

    /// <inheritdoc cref="AwsHttpPipeline.TakeNotices"/>
    public IReadOnlyList<string> TakeNotices() => Pipeline.TakeNotices();

    public void Dispose()
    {
        foreach (var notice in Pipeline.TakeNotices())
        {
            Reporter?.Verbose(notice);
        }

        Pipeline.Dispose();
    }

    /// <summary>A request for the SDK's signer to the endpoint's host, its path under the endpoint's own path.</summary>
    protected DefaultRequest NewRequest(string method, string path, byte[]? content) => new(new SignedOperation(), Service.SigningName)
    {
        HttpMethod = method,
        Endpoint = new Uri(Endpoint.GetLeftPart(UriPartial.Authority)),
        ResourcePath = path,
        Content = content,
        AuthenticationRegion = Region,
    };

    /// <summary>The SDK's request type wants an original request; the body is already in the content.</summary>
    private sealed class SignedOperation : AmazonWebServiceRequest
    {
    }
}
