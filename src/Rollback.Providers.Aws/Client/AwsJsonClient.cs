using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Rollback.Errors;

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
/// mode), a timeout per attempt, and the error mapping in <see cref="AwsErrors"/>. Clock-skew correction is the SDK's
/// own (<see cref="AwsClockSkew"/>): a skew error sets the endpoint's correction in the SDK, the request is signed again
/// with the corrected time and sent once more (outside the attempts and the retry budget, as the SDK bypasses its
/// retry capacity for it), and the signer uses that correction for every later request to the endpoint.
/// </para>
/// </summary>
internal sealed class AwsJsonClient : IDisposable
{
    private static readonly string[] RequestIdHeaders = { "x-amzn-RequestId", "x-amz-request-id", "x-amz-id-2" };

    private readonly AwsServiceInfo _service;
    private readonly AwsClientOptions _options;
    private readonly AwsSigningConfig _config;
    private readonly AWS4Signer _signer = new();
    private readonly HttpClient _http;
    private readonly AwsRetryBudget _budget;
    private readonly Random _jitter = new();
    private readonly object _jitterGate = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notices = new();
    private AWSCredentials? _credentials;

    public AwsJsonClient(AwsServiceInfo service, AwsClientOptions options)
        : this(service, options, new HttpClientHandler { UseProxy = true, AllowAutoRedirect = false })
    {
    }

    public AwsJsonClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler handler)
    {
        _service = service;
        _options = options;
        Region = AwsEnvironment.ResolveRegion(options.Region, options.Profile);
        Endpoint = ResolveEndpoint(service, options, Region);
        _config = new AwsSigningConfig(service, Region);
        _budget = new AwsRetryBudget(options.RetryBudget);
        // Each attempt has its own timeout (a linked token), so the HttpClient's own stays out of the way.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public string Region { get; }

    public Uri Endpoint { get; }

    public AwsServiceInfo Service => _service;

    /// <summary>The endpoint as the signer sees it: scheme, host and port. The SDK keys its clock correction by it.</summary>
    public Uri SigningEndpoint => new(Endpoint.GetLeftPart(UriPartial.Authority));

    /// <summary>The clock correction the SDK applies to requests to this endpoint (server time minus local time).</summary>
    public TimeSpan ClockCorrection => AwsClockSkew.CorrectionFor(SigningEndpoint);

    /// <summary>
    /// What the client did that the user may want to know (a clock-skew correction), oldest first, emptied by the read.
    /// The client runs on thread-pool threads, so it never writes to a reporter itself: the caller passes these on
    /// from its own thread (PowerShell's streams accept writes from the pipeline thread only).
    /// </summary>
    public System.Collections.Generic.IReadOnlyList<string> TakeNotices()
    {
        var taken = new System.Collections.Generic.List<string>();
        while (_notices.TryDequeue(out var notice))
        {
            taken.Add(notice);
        }

        return taken;
    }

    /// <summary>Tokens left in the retry budget (for tests and diagnostics).</summary>
    public int RetryBudgetAvailable => _budget.Available;

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string operation, TRequest request, CancellationToken cancellation)
        where TResponse : class, new()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, _service.JsonOptions);
        var (text, requestId) = await SendWithRetriesAsync(operation, body, cancellation).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(text) ? new TResponse() : JsonSerializer.Deserialize<TResponse>(text, _service.JsonOptions) ?? new TResponse();
        }
        catch (JsonException ex)
        {
            throw AwsErrors.InvalidResponse(_service, operation, requestId, ex);
        }
    }

    public void Dispose() => _http.Dispose();

    private static Uri ResolveEndpoint(AwsServiceInfo service, AwsClientOptions options, string region)
    {
        if (options.EndpointUrl is not null)
        {
            return options.EndpointUrl;
        }

        // Like the SDKs and the CLI: AWS_ENDPOINT_URL_<SERVICE_ID>, then AWS_ENDPOINT_URL, unless told to ignore them.
        if (!string.Equals(Environment.GetEnvironmentVariable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            var serviceVariable = "AWS_ENDPOINT_URL_" + service.ServiceId.ToUpperInvariant().Replace(' ', '_');
            var configured = Environment.GetEnvironmentVariable(serviceVariable) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return AwsClientOptions.ParseEndpoint(configured!);
            }
        }

        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{service.EndpointPrefix}.{region}.{suffix}/");
    }

    private async Task<(string Text, string? RequestId)> SendWithRetriesAsync(string operation, byte[] body, CancellationToken cancellation)
    {
        var retryCost = 0;
        var skewRetries = 0;
        for (var attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            Exception? transportFailure = null;
            string? transportWhy = null;
            HttpStatusCode status = 0;
            string text = string.Empty;
            string? requestId = null;
            string? serverDate = null;
            DateTime signedAt = default;

            using (var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                attemptCancellation.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var message = Sign(operation, body, out signedAt);
                    using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, attemptCancellation.Token).ConfigureAwait(false);
                    status = response.StatusCode;
                    text = response.Content is null ? string.Empty : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    requestId = RequestIdHeaders.Select(h => response.Headers.TryGetValues(h, out var v) ? v.FirstOrDefault() : null).FirstOrDefault(v => !string.IsNullOrEmpty(v));
                    serverDate = response.Headers.TryGetValues("Date", out var dates) ? dates.FirstOrDefault() : null;
                }
                catch (OperationCanceledException ex) when (!cancellation.IsCancellationRequested)
                {
                    transportFailure = ex;
                    transportWhy = $"did not answer within {_options.AttemptTimeout.TotalSeconds:0.#} s";
                }
                catch (HttpRequestException ex)
                {
                    transportFailure = ex;
                    transportWhy = "could not be reached: " + (ex.InnerException?.Message ?? ex.Message);
                }
            }

            if (transportFailure is not null)
            {
                if (attempt < _options.MaxAttempts && _budget.TryAcquire(AwsRetryBudget.TimeoutRetryCost))
                {
                    retryCost += AwsRetryBudget.TimeoutRetryCost;
                    await Task.Delay(Backoff(attempt), cancellation).ConfigureAwait(false);
                    continue;
                }

                throw AwsErrors.Unreachable(_service, operation, Endpoint, transportWhy!, attempt + skewRetries, transportFailure);
            }

            if ((int)status >= 200 && (int)status < 300)
            {
                _budget.Release(retryCost == 0 ? 1 : retryCost);
                return (text, requestId);
            }

            var (code, awsMessage) = ReadError(text);
            if (AwsClockSkew.IsSkewError(status, code, awsMessage))
            {
                // Once per request: a skew that survives the correction is not a clock the SDK can correct for.
                if (skewRetries == 0 && AwsClockSkew.TryCorrect(SigningEndpoint, signedAt, status, code, awsMessage, serverDate))
                {
                    skewRetries++;
                    attempt--;
                    var correction = ClockCorrection;
                    _notices.Enqueue($"{_service.ServiceId} {operation}: {SigningEndpoint.Scheme}://{SigningEndpoint.Authority} refused the request's time ({(code.Length == 0 ? "HTTP " + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) : code)}); "
                        + $"this machine's clock is {AwsClockSkew.Describe(correction)} the endpoint's, so requests to it are now signed with the corrected time (correction {correction.TotalSeconds:+0;-0} s, kept for this endpoint until the process ends). Sending the request again.");
                    continue;
                }

                throw AwsErrors.ClockSkewed(_service, operation, Endpoint, status, code, awsMessage, requestId, attempt + skewRetries, signedAt, ClockCorrection);
            }

            var retryable = AwsErrors.IsThrottling(code, status) || AwsErrors.IsTransientServerError(status);
            if (retryable && attempt < _options.MaxAttempts && _budget.TryAcquire(AwsRetryBudget.RetryCost))
            {
                retryCost += AwsRetryBudget.RetryCost;
                await Task.Delay(Backoff(attempt), cancellation).ConfigureAwait(false);
                continue;
            }

            throw AwsErrors.FromResponse(_service, operation, status, code, awsMessage, requestId, attempt + skewRetries);
        }
    }

    private HttpRequestMessage Sign(string operation, byte[] body, out DateTime signedAt)
    {
        var request = new DefaultRequest(new SignedOperation(), _service.SigningName)
        {
            HttpMethod = "POST",
            Endpoint = SigningEndpoint,
            ResourcePath = Endpoint.AbsolutePath,
            Content = body,
            AuthenticationRegion = Region,
        };
        request.Headers["Content-Type"] = _service.ContentType;
        request.Headers["X-Amz-Target"] = _service.TargetPrefix + "." + operation;

        try
        {
            _credentials ??= _options.Credentials ?? AwsEnvironment.ResolveCredentials(_options.Profile, _config);
            // The signer takes the time from the SDK's clock with the endpoint's correction applied.
            _signer.Sign(request, _config, new RequestMetrics(), _credentials);
        }
        catch (AmazonClientException ex)
        {
            throw new RollbackException(RollbackErrorId.AwsCredentialsMissing, RollbackErrorCategory.SecurityError,
                $"{_service.ServiceId} {operation}: the AWS credentials could not be obtained: {ex.Message}", operation, ex);
        }

        signedAt = AwsClockSkew.ParseAmzDate(request.Headers.TryGetValue("X-Amz-Date", out var amzDate) ? amzDate : null) ?? DateTime.UtcNow;
        var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(body) };
        foreach (var header in request.Headers)
        {
            if (string.Equals(header.Key, "Host", StringComparison.OrdinalIgnoreCase) || string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(header.Key, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(header.Value);
                continue;
            }

            message.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return message;
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        double factor;
        lock (_jitterGate)
        {
            factor = _jitter.NextDouble();
        }

        return TimeSpan.FromMilliseconds(ceiling * factor);
    }

    private static (string Code, string? Message) ReadError(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (string.Empty, null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (string.Empty, Trim(text));
            }

            string? Find(params string[] names) => names
                .Select(n => document.RootElement.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                .FirstOrDefault(v => v is not null);

            return (AwsErrors.NormalizeCode(Find("__type", "code", "Code")), Find("message", "Message", "errorMessage"));
        }
        catch (JsonException)
        {
            return (string.Empty, Trim(text));
        }
    }

    private static string Trim(string text) => text.Length <= 300 ? text : text.Substring(0, 300) + "...";

    /// <summary>The SDK's request type wants an original request; the JSON body is already in the content.</summary>
    private sealed class SignedOperation : AmazonWebServiceRequest
    {
    }
}
