using System.Collections.Generic;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the restJson1 protocol (Lambda, ...): the operation is a method and a path whose {labels} are
/// filled from the request, a query string, and a JSON body, signed by <see cref="AwsProtocolClient.SignRest"/> (as the
/// restXml client's). It shares <see cref="AwsHttpPipeline"/> with the awsJson and S3 clients (credentials,
/// endpoint, SigV4 with the SDK's signer, retries, timeouts, clock skew, error mapping).
/// </summary>
internal sealed class AwsRestJsonClient : AwsProtocolClient
{
    public AwsRestJsonClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler? handler = null)
        : base(service, options, handler)
    {
    }

    /// <summary>
    /// Sends one operation: <paramref name="method"/> to <paramref name="pathTemplate"/> (such as
    /// "/2015-03-31/functions/{FunctionName}/aliases/{Name}") with <paramref name="labels"/> filled in, the
    /// <paramref name="query"/> parameters (null values left out) and <paramref name="body"/> as JSON (none when null).
    /// </summary>
    public async Task<TResponse> InvokeAsync<TResponse>(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, object? body, CancellationToken cancellation)
        where TResponse : class, new()
    {
        var answer = await SendAsync(operation, method, pathTemplate, labels, query, body, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(answer.Text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(answer.Text, Service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(Service, operation, answer.RequestId, ex);
        }
    }

    /// <summary>
    /// Sends one operation whose answer is not JSON but the payload itself (AppConfig's GetHostedConfigurationVersion
    /// answers with the configuration's bytes, its metadata in headers): the body as text, errors read as JSON.
    /// </summary>
    public async Task<string> InvokePayloadAsync(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels, CancellationToken cancellation) =>
        (await SendAsync(operation, method, pathTemplate, labels, null, null, cancellation).ConfigureAwait(false)).Text;

    private Task<AwsHttpAnswer> SendAsync(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, object? body, CancellationToken cancellation)
    {
        CheckLabels(operation, labels);
        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Service.JsonOptions);
        return Pipeline.SendAsync(operation, () => SignRest(operation, method, pathTemplate, labels, query, content, "application/json"), AwsErrors.ReadJsonError, cancellation);
    }
}
