using System;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the awsJson protocols (POST /, X-Amz-Target: Prefix.Operation, a JSON body), shared by every
/// AWS kind: one instance per service and target.
/// <para>
/// Why not the SDK's own client pipeline (AmazonServiceClient with a marshaller and unmarshaller per operation): in
/// AWSSDK.Core 4 that pipeline also needs, per service, the generated endpoint-rules provider, the auth-scheme resolver
/// and unmarshallers written against internal ref-struct JSON readers; without the service packages that is a large,
/// version-bound copy of generated code. This client keeps what matters from the SDK: credentials from its default
/// chain and its profile store, and the request signed by its own SigV4 signer (<see cref="AWS4Signer"/>, never
/// hand-rolled). It adds what the pipeline would have brought: bounded retries with exponential backoff and full
/// jitter on throttling, 5xx and connection failures, a per-client retry budget (token bucket, as in the SDK's standard
/// mode), a timeout per attempt, and the error mapping in <see cref="AwsErrors"/>; those live in
/// <see cref="AwsHttpPipeline"/>, which the S3 client shares, with the SDK's own clock-skew correction
/// (<see cref="AwsClockSkew"/>).
/// </para>
/// </summary>
internal sealed class AwsJsonClient : IDisposable
{
    private readonly AwsServiceInfo _service;
    private readonly AwsHttpPipeline _pipeline;

    public AwsJsonClient(AwsServiceInfo service, AwsClientOptions options)
        : this(service, options, new HttpClientHandler { UseProxy = true, AllowAutoRedirect = false })
    {
    }

    public AwsJsonClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler handler)
    {
        _service = service;
        _pipeline = new AwsHttpPipeline(service, options, handler);
    }

    public string Region => _pipeline.Region;

    public Uri Endpoint => _pipeline.Endpoint;

    public AwsServiceInfo Service => _service;

    /// <summary>Tokens left in the retry budget (for tests and diagnostics).</summary>
    public int RetryBudgetAvailable => _pipeline.RetryBudgetAvailable;

    /// <summary>The clock correction the SDK applies to requests to this client's endpoint (server time minus local time).</summary>
    public TimeSpan ClockCorrection => AwsClockSkew.CorrectionFor(new Uri(Endpoint.GetLeftPart(UriPartial.Authority)));

    /// <inheritdoc cref="AwsHttpPipeline.TakeNotices"/>
    public System.Collections.Generic.IReadOnlyList<string> TakeNotices() => _pipeline.TakeNotices();

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string operation, TRequest request, CancellationToken cancellation)
        where TResponse : class, new()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, _service.JsonOptions);
        var answer = await _pipeline.SendAsync(operation, () => Sign(operation, body), AwsErrors.ReadJsonError, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(answer.Text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(answer.Text, _service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(_service, operation, answer.RequestId, ex);
        }
    }

    /// <summary>
    /// Where what the client did on the way (a clock-skew correction) is told as verbose, when the client is disposed:
    /// from the thread that disposes it, since PowerShell's streams accept writes from the pipeline thread only.
    /// </summary>
    public Rollback.Engine.IRollbackReporter? Reporter { get; set; }

    public void Dispose()
    {
        foreach (var notice in _pipeline.TakeNotices())
        {
            Reporter?.Verbose(notice);
        }

        _pipeline.Dispose();
    }

    private HttpRequestMessage Sign(string operation, byte[] body)
    {
        var request = new DefaultRequest(new SignedOperation(), _service.SigningName)
        {
            HttpMethod = "POST",
            Endpoint = new Uri(Endpoint.GetLeftPart(UriPartial.Authority)),
            ResourcePath = Endpoint.AbsolutePath,
            Content = body,
            AuthenticationRegion = Region,
        };
        request.Headers["Content-Type"] = _service.ContentType;
        request.Headers["X-Amz-Target"] = _service.TargetPrefix + "." + operation;
        return _pipeline.Sign(request, operation, Endpoint, body);
    }

    /// <summary>The SDK's request type wants an original request; the JSON body is already in the content.</summary>
    private sealed class SignedOperation : AmazonWebServiceRequest
    {
    }
}
