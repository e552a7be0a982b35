using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the restJson1 protocol (Lambda, ...): the operation is a method and a path whose {labels} are
/// filled from the request, a query string, and a JSON body. It shares <see cref="AwsHttpPipeline"/> with the awsJson
/// and S3 clients (credentials, endpoint, SigV4 with the SDK's signer, retries, timeouts, clock skew, error mapping);
/// the path is composed and signed as the SDK's own restJson marshallers do it (path resources, double encoding in
/// the canonical request), so a name with characters such as ':' in an ARN signs the same as in the official client.
/// </summary>
internal sealed class AwsRestJsonClient : IDisposable
{
    private readonly AwsServiceInfo _service;
    private readonly AwsHttpPipeline _pipeline;

    public AwsRestJsonClient(AwsServiceInfo service, AwsClientOptions options)
        : this(service, options, new HttpClientHandler { UseProxy = true, AllowAutoRedirect = false })
    {
    }

    public AwsRestJsonClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler handler)
    {
        _service = service;
        _pipeline = new AwsHttpPipeline(service, options, handler);
    }

    public Uri Endpoint => _pipeline.Endpoint;

    public string Region => _pipeline.Region;

    /// <inheritdoc cref="AwsJsonClient.Reporter"/>
    public Rollback.Engine.IRollbackReporter? Reporter { get; set; }

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
                    $"{_service.ServiceId} {operation} needs a value for {label.Key}.", label.Key);
            }
        }

        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), _service.JsonOptions);
        var answer = await _pipeline.SendAsync(operation, () => Sign(operation, method, pathTemplate, labels, query, content), AwsErrors.ReadJsonError, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(answer.Text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(answer.Text, _service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(_service, operation, answer.RequestId, ex);
        }
    }

    public void Dispose()
    {
        foreach (var notice in _pipeline.TakeNotices())
        {
            Reporter?.Verbose(notice);
        }

        _pipeline.Dispose();
    }

    private HttpRequestMessage Sign(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, byte[]? content)
    {
        var endpoint = _pipeline.Endpoint;
        var request = new DefaultRequest(new SignedOperation(), _service.SigningName)
        {
            HttpMethod = method,
            Endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Authority)),
            ResourcePath = endpoint.AbsolutePath.TrimEnd('/') + pathTemplate,
            AuthenticationRegion = Region,
            // Query parameters go in the URL, never into a form body the signer would hash as the payload.
            UseQueryString = true,
        };
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

        return _pipeline.Sign(request, operation, AmazonServiceClient.ComposeUrl(request), content);
    }

    /// <summary>The SDK's request type wants an original request; the JSON body is already in the content.</summary>
    private sealed class SignedOperation : AmazonWebServiceRequest
    {
    }
}
