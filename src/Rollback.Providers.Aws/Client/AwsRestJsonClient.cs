using System.Collections.Generic;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the restJson1 protocol (Lambda, ...): the operation is a method and a path whose {labels} are
/// filled from the request, a query string, and a JSON body. It shares <see cref="AwsHttpPipeline"/> with the awsJson
/// and S3 clients (credentials, endpoint, SigV4 with the SDK's signer, retries, timeouts, clock skew, error mapping);
/// the path is composed and signed as the SDK's own restJson marshallers do it (path resources, double encoding in
/// the canonical request), so a name with characters such as ':' in an ARN signs the same as in the official client.
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
        foreach (var label in labels)
        {
            if (string.IsNullOrEmpty(label.Value))
            {
                throw new Rollback.Errors.RollbackException(AwsErrorId.AwsInvalidRequest, Rollback.Errors.RollbackErrorCategory.InvalidArgument,
                    $"{Service.ServiceId} {operation} needs a value for {label.Key}.", label.Key);
            }
        }

        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Service.JsonOptions);
        var answer = await Pipeline.SendAsync(operation, () => Sign(operation, method, pathTemplate, labels, query, content), AwsErrors.ReadJsonError, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(answer.Text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(answer.Text, Service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(Service, operation, answer.RequestId, ex);
        }
    }

    private HttpRequestMessage Sign(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, byte[]? content)
    {
        var endpoint = Endpoint;
        var request = NewRequest(method, endpoint.AbsolutePath.TrimEnd('/') + pathTemplate, null);
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
            request.Headers["Content-Type"] = "application/json";
        }

        return Pipeline.Sign(request, operation, AmazonServiceClient.ComposeUrl(request), content);
    }
}
