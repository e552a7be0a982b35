using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
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
internal sealed class AwsJsonClient : AwsProtocolClient
{
    public AwsJsonClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler? handler = null)
        : base(service, options, handler)
    {
    }

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string operation, TRequest request, CancellationToken cancellation)
        where TResponse : class, new()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, Service.JsonOptions);
        var answer = await Pipeline.SendAsync(operation, () => Sign(operation, body), AwsErrors.ReadJsonError, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(answer.Text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(answer.Text, Service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(Service, operation, answer.RequestId, ex);
        }
    }

    private HttpRequestMessage Sign(string operation, byte[] body)
    {
        var request = NewRequest("POST", Endpoint.AbsolutePath, body);
        request.Headers["Content-Type"] = Service.ContentType;
        request.Headers["X-Amz-Target"] = Service.TargetPrefix + "." + operation;
        return Pipeline.Sign(request, operation, Endpoint, body);
    }
}
