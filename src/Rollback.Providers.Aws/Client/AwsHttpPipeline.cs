using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Rollback.Errors;

namespace Rollback.Providers.Aws.Client;

/// <summary>One answer of a service, read whole: status, body, the AWS request id and every header (content headers included).</summary>
internal sealed class AwsHttpAnswer
{
    private string? _text;

    public AwsHttpAnswer(HttpStatusCode status, string text, string? requestId, IReadOnlyDictionary<string, string> headers)
        : this(status, Encoding.UTF8.GetBytes(text), requestId, headers)
    {
        _text = text;
    }

    public AwsHttpAnswer(HttpStatusCode status, byte[] body, string? requestId, IReadOnlyDictionary<string, string> headers)
    {
        Status = status;
        Body = body;
        RequestId = requestId;
        Headers = headers;
    }

    public HttpStatusCode Status { get; }

    /// <summary>The body's bytes as received (an S3 object's content).</summary>
    public byte[] Body { get; }

    /// <summary>The body as UTF-8 text (every AWS protocol's documents and errors), a byte-order mark left out.</summary>
    public string Text => _text ??= Body.Length >= 3 && Body[0] == 0xEF && Body[1] == 0xBB && Body[2] == 0xBF
        ? Encoding.UTF8.GetString(Body, 3, Body.Length - 3)
        : Encoding.UTF8.GetString(Body);

    public string? RequestId { get; }

    /// <summary>Header name (case-insensitive) to its first value.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// What every AWS protocol client of the module shares, whatever its wire format (awsJson, S3's REST): the endpoint
/// (override, AWS_ENDPOINT_URL_&lt;SERVICE_ID&gt;, the regional default), the region, credentials from the SDK's chain,
/// signing with the SDK's SigV4 signer, and sending with bounded retries (exponential backoff with full jitter on
/// throttling, 5xx and connection failures; a per-client retry budget; a timeout per attempt) and the error mapping in
/// <see cref="AwsErrors"/>. A protocol client builds and reads the messages; how an error body reads is its own.
/// <para>
/// Clock-skew correction is the SDK's own (<see cref="AwsClockSkew"/>): a skew error sets the endpoint's correction in
/// the SDK, the request is signed again with the corrected time and sent once more (outside the attempts and the retry
/// budget, as the SDK bypasses its retry capacity for it), and the signer uses that correction for every later request
/// to the endpoint.
/// </para>
/// </summary>
internal sealed class AwsHttpPipeline : IDisposable
{
    private static readonly string[] RequestIdHeaders = { "x-amzn-RequestId", "x-amz-request-id", "x-amz-id-2" };

    private readonly AwsClientOptions _options;
    private readonly AwsSigningConfig _config;
    private readonly AWS4Signer _signer = new();
    private readonly HttpClient _http;
    private readonly AwsRetryBudget _budget;
    private readonly Random _jitter = new();
    private readonly object _jitterGate = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notices = new();
    private AWSCredentials? _credentials;

    public AwsHttpPipeline(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler handler)
    {
        Service = service;
        _options = options;
        Region = service.GlobalRegion ?? AwsEnvironment.ResolveRegion(options.Region, options.Profile);
        var configured = ConfiguredEndpoint(service, options);
        EndpointOverridden = configured is not null;
        var suffix = Region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        Endpoint = configured ?? new Uri(service.GlobalHost is null ? $"https://{service.EndpointPrefix}.{Region}.{suffix}/" : $"https://{service.GlobalHost}/");
        _config = new AwsSigningConfig(service, Region);
        _budget = new AwsRetryBudget(options.RetryBudget);
        // Each attempt has its own timeout (a linked token), so the HttpClient's own stays out of the way.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public string Region { get; }

    /// <summary>The endpoint override, the configured AWS_ENDPOINT_URL(_SERVICE), or the regional AWS endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>True when the endpoint came from the caller or the environment rather than AWS's regional default.</summary>
    public bool EndpointOverridden { get; }

    public AwsServiceInfo Service { get; }

    /// <summary>Tokens left in the retry budget (for tests and diagnostics).</summary>
    public int RetryBudgetAvailable => _budget.Available;

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// What the client did that the user may want to know (a clock-skew correction), oldest first, emptied by the read.
    /// The client runs on thread-pool threads, so it never writes to a reporter itself: the caller passes these on
    /// from its own thread (PowerShell's streams accept writes from the pipeline thread only).
    /// </summary>
    public IReadOnlyList<string> TakeNotices()
    {
        var taken = new List<string>();
        while (_notices.TryDequeue(out var notice))
        {
            taken.Add(notice);
        }

        return taken;
    }

    /// <summary>
    /// Signs <paramref name="request"/> with the SDK's SigV4 signer and the resolved credentials, then copies it into an
    /// HTTP message for <paramref name="uri"/> (Host and Content-Length are the HTTP stack's own).
    /// </summary>
    public HttpRequestMessage Sign(DefaultRequest request, string operation, Uri uri, byte[]? body)
    {
        try
        {
            _credentials ??= _options.Credentials ?? AwsEnvironment.ResolveCredentials(_options.Profile, _config);
            // The signer takes the time from the SDK's clock with the endpoint's correction applied.
            _signer.Sign(request, _config, new RequestMetrics(), _credentials);
        }
        catch (AmazonClientException ex)
        {
            throw new RollbackException(AwsErrorId.AwsCredentialsMissing, RollbackErrorCategory.SecurityError,
                $"{Service.ServiceId} {operation}: the AWS credentials could not be obtained: {ex.Message}", operation, ex);
        }

        var message = new HttpRequestMessage(new HttpMethod(request.HttpMethod), uri);
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var header in request.Headers)
        {
            if (string.Equals(header.Key, "Host", StringComparison.OrdinalIgnoreCase) || string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(header.Key, "Content-Type", StringComparison.OrdinalIgnoreCase) && message.Content is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(header.Value);
                continue;
            }

            message.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return message;
    }

    /// <summary>
    /// Sends the message <paramref name="create"/> builds (afresh per attempt, so each is signed with its own time) until
    /// it succeeds, fails for good or the retries run out; a 2xx answer is returned, anything else thrown as an ErrorId.
    /// </summary>
    /// <param name="operation">The operation's name, for messages and errors.</param>
    /// <param name="create">Builds and signs one attempt's message.</param>
    /// <param name="readError">The AWS error code and message of a non-2xx answer, from its body or headers.</param>
    /// <param name="cancellation">The caller's cancellation.</param>
    public async Task<AwsHttpAnswer> SendAsync(string operation, Func<HttpRequestMessage> create, Func<AwsHttpAnswer, (string Code, string? Message)> readError, CancellationToken cancellation)
    {
        var retryCost = 0;
        var skewRetries = 0;
        for (var attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            Exception? transportFailure = null;
            string? transportWhy = null;
            AwsHttpAnswer? answer = null;
            Uri? signingEndpoint = null;
            DateTime signedAt = default;

            using (var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                attemptCancellation.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var message = create();
                    // The SDK keys its clock correction by the endpoint the request was signed for: scheme, host and port.
                    signingEndpoint = new Uri(message.RequestUri!.GetLeftPart(UriPartial.Authority));
                    signedAt = AwsClockSkew.ParseAmzDate(message.Headers.TryGetValues("X-Amz-Date", out var amzDates) ? amzDates.FirstOrDefault() : null) ?? DateTime.UtcNow;
                    using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, attemptCancellation.Token).ConfigureAwait(false);
                    var body = response.Content is null ? Array.Empty<byte>() : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var header in response.Headers.Concat(response.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
                    {
                        headers[header.Key] = header.Value.FirstOrDefault() ?? string.Empty;
                    }

                    var requestId = RequestIdHeaders.Select(h => headers.TryGetValue(h, out var v) ? v : null).FirstOrDefault(v => !string.IsNullOrEmpty(v));
                    answer = new AwsHttpAnswer(response.StatusCode, body, requestId, headers);
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

            if (answer is null)
            {
                if (attempt < _options.MaxAttempts && _budget.TryAcquire(AwsRetryBudget.TimeoutRetryCost))
                {
                    retryCost += AwsRetryBudget.TimeoutRetryCost;
                    await Task.Delay(Backoff(attempt), cancellation).ConfigureAwait(false);
                    continue;
                }

                throw AwsErrors.Unreachable(Service, operation, Endpoint, transportWhy!, attempt + skewRetries, transportFailure);
            }

            var status = answer.Status;
            if ((int)status >= 200 && (int)status < 300)
            {
                _budget.Release(retryCost == 0 ? 1 : retryCost);
                return answer;
            }

            var (code, awsMessage) = readError(answer);
            if (AwsClockSkew.IsSkewError(status, code, awsMessage))
            {
                // Once per request: a skew that survives the correction is not a clock the SDK can correct for.
                if (skewRetries == 0 && AwsClockSkew.TryCorrect(signingEndpoint!, signedAt, status, code, awsMessage, answer.Header("Date")))
                {
                    skewRetries++;
                    attempt--;
                    var correction = AwsClockSkew.CorrectionFor(signingEndpoint!);
                    _notices.Enqueue($"{Service.ServiceId} {operation}: {signingEndpoint!.Scheme}://{signingEndpoint.Authority} refused the request's time ({(code.Length == 0 ? "HTTP " + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) : code)}); "
                        + $"this machine's clock is {AwsClockSkew.Describe(correction)} the endpoint's, so requests to it are now signed with the corrected time (correction {correction.TotalSeconds:+0;-0} s, kept for this endpoint until the process ends). Sending the request again.");
                    continue;
                }

                throw AwsErrors.ClockSkewed(Service, operation, Endpoint, status, code, awsMessage, answer.RequestId, attempt + skewRetries, signedAt, AwsClockSkew.CorrectionFor(signingEndpoint!));
            }

            var retryable = AwsErrors.IsThrottling(code, status) || AwsErrors.IsTransientServerError(status);
            if (retryable && attempt < _options.MaxAttempts && _budget.TryAcquire(AwsRetryBudget.RetryCost))
            {
                retryCost += AwsRetryBudget.RetryCost;
                await Task.Delay(Backoff(attempt), cancellation).ConfigureAwait(false);
                continue;
            }

            throw AwsErrors.FromResponse(Service, operation, status, code, awsMessage, answer.RequestId, attempt + skewRetries);
        }
    }

    private static Uri? ConfiguredEndpoint(AwsServiceInfo service, AwsClientOptions options)
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

        return null;
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
}
