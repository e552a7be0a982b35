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

    /// <summary>Refuses an empty path label before anything is sent (the path would name another resource).</summary>
    protected void CheckLabels(string operation, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var label in labels)
        {
            if (string.IsNullOrEmpty(label.Value))
            {
                throw new Rollback.Errors.RollbackException(AwsErrorId.AwsInvalidRequest, Rollback.Errors.RollbackErrorCategory.InvalidArgument,
                    $"{Service.ServiceId} {operation} needs a value for {label.Key}.", label.Key);
            }
        }
    }

    /// <summary>
    /// One signed attempt of a REST protocol (restJson, restXml): <paramref name="method"/> to the path with its {labels}
    /// filled in as the SDK's REST marshallers do it (path resources, double encoding in the canonical request, so a
    /// name with ':' in an ARN signs as in the official client), the query in the URL, <paramref name="content"/> as the body.
    /// </summary>
    protected HttpRequestMessage SignRest(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, byte[]? content, string contentType)
    {
        var request = NewRequest(method, Endpoint.AbsolutePath.TrimEnd('/') + pathTemplate, null);
        // Query parameters go in the URL, never into a form body the signer would hash as the payload.
        request.UseQueryString = true;
        foreach (var label in labels)
        {
            request.AddPathResource("{" + label.Key + "}", label.Value);
        }

        foreach (var parameter in query ?? new Dictionary<string, string?>())
        {
            if (parameter.Value is not null)
            {
                request.Parameters[parameter.Key] = parameter.Value;
            }
        }

        if (content is not null)
        {
            request.Content = content;
            request.Headers["Content-Type"] = contentType;
        }

        return Pipeline.Sign(request, operation, AmazonServiceClient.ComposeUrl(request), content);
    }

    /// <summary>The SDK's request type wants an original request; the body is already in the content.</summary>
    private sealed class SignedOperation : AmazonWebServiceRequest
    {
    }
}
