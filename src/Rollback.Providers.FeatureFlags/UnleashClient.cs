using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;

namespace Rollback.Providers.FeatureFlags;

/// <summary>
/// The few calls of Unleash's admin API the FeatureFlag kind makes, with an admin token in the Authorization header (as
/// Unleash expects it: the token itself, no scheme). Every failure becomes one of the kind's ErrorIds; no message ever
/// carries the token. The provider contract is synchronous, so each call waits for its answer, bounded by the timeout
/// and ended by Ctrl+C.
/// </summary>
internal sealed class UnleashClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _cancellation;

    public UnleashClient(Uri baseUrl, string token, TimeSpan timeout, CancellationToken cancellation)
    {
        _baseUrl = baseUrl.AbsoluteUri.TrimEnd('/');
        _timeout = timeout;
        _cancellation = cancellation;
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    /// <summary>The flag with every environment, or FeatureFlagNotFound / FeatureFlagProjectNotFound.</summary>
    public JsonElement GetFeature(string project, string flag)
    {
        var answer = Send(HttpMethod.Get, $"/api/admin/projects/{Escape(project)}/features/{Escape(flag)}", null);
        if (answer.Status == HttpStatusCode.NotFound)
        {
            var projectAnswer = Send(HttpMethod.Get, $"/api/admin/projects/{Escape(project)}", null);
            if (projectAnswer.Status == HttpStatusCode.NotFound)
            {
                throw new RollbackException(FeatureFlagErrorId.FeatureFlagProjectNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"Unleash at {_baseUrl} has no project '{project}' ({answer.Message}). Check the Project setting (the project's id, not its display name).", project);
            }

            throw new RollbackException(FeatureFlagErrorId.FeatureFlagNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Unleash at {_baseUrl} has no flag '{flag}' in project '{project}' ({answer.Message}). Check the Flag setting; an archived flag must be revived first.", flag);
        }

        return Json(Expect(answer, $"reading flag '{flag}'"));
    }

    /// <summary>Turns the flag on or off in one environment.</summary>
    public void SetEnabled(string project, string flag, string environment, bool enabled) =>
        Expect(Send(HttpMethod.Post, $"{FeaturePath(project, flag, environment)}/{(enabled ? "on" : "off")}", null), $"turning flag '{flag}' {(enabled ? "on" : "off")} in '{environment}'");

    public void AddStrategy(string project, string flag, string environment, StrategyState strategy) =>
        Expect(Send(HttpMethod.Post, $"{FeaturePath(project, flag, environment)}/strategies", strategy.Body()), $"adding strategy '{strategy.Name}' to '{environment}'");

    public void UpdateStrategy(string project, string flag, string environment, StrategyState strategy) =>
        Expect(Send(HttpMethod.Put, $"{FeaturePath(project, flag, environment)}/strategies/{Escape(strategy.Id)}", strategy.Body()), $"updating strategy '{strategy.Name}' of '{environment}'");

    public void DeleteStrategy(string project, string flag, string environment, StrategyState strategy) =>
        Expect(Send(HttpMethod.Delete, $"{FeaturePath(project, flag, environment)}/strategies/{Escape(strategy.Id)}", null), $"removing strategy '{strategy.Name}' from '{environment}'");

    public void Dispose() => _http.Dispose();

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string FeaturePath(string project, string flag, string environment) =>
        $"/api/admin/projects/{Escape(project)}/features/{Escape(flag)}/environments/{Escape(environment)}";

    private static JsonElement Json(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw FlagState.Malformed($"not JSON ({ex.Message})");
        }
    }

    /// <summary>A 2xx answer's body; any other status becomes the kind's ErrorId for it.</summary>
    private string Expect(Answer answer, string doing)
    {
        var code = ((int)answer.Status).ToString(CultureInfo.InvariantCulture);
        if ((int)answer.Status is >= 200 and < 300)
        {
            return answer.Body;
        }

        if (answer.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new RollbackException(FeatureFlagErrorId.FeatureFlagAccessDenied, RollbackErrorCategory.PermissionDenied,
                $"Unleash at {_baseUrl} refused the token while {doing} ({code}: {answer.Message}). The Token setting must name an admin API token (or a personal access token) allowed in the project.", null);
        }

        if (answer.Status == HttpStatusCode.NotFound && answer.Message.IndexOf("environment", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            throw new RollbackException(FeatureFlagErrorId.FeatureFlagEnvironmentNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Unleash at {_baseUrl} answered 404 while {doing}: {answer.Message}", null);
        }

        throw new RollbackException(FeatureFlagErrorId.FeatureFlagRequestFailed, RollbackErrorCategory.InvalidOperation,
            $"Unleash at {_baseUrl} answered {code} while {doing}: {answer.Message}", null);
    }

    private Answer Send(HttpMethod method, string path, string? body)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_cancellation);
        deadline.CancelAfter(_timeout);
        using var request = new HttpRequestMessage(method, _baseUrl + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = Wait(_http.SendAsync(request, deadline.Token));
            var text = Wait(response.Content.ReadAsStringAsync());
            return new Answer(response.StatusCode, text);
        }
        catch (OperationCanceledException) when (!_cancellation.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex.InnerException?.Message ?? ex.Message);
        }
    }

    private RollbackException Unreachable(string why) =>
        new(FeatureFlagErrorId.FeatureFlagServerUnreachable, RollbackErrorCategory.ResourceUnavailable,
            $"Unleash at {_baseUrl} cannot be reached: {why}. Check the Url setting and that the server runs.", null);

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    /// <summary>A status and body; <see cref="Message"/> is Unleash's own error message when the body has one.</summary>
    private sealed class Answer
    {
        public Answer(HttpStatusCode status, string body)
        {
            Status = status;
            Body = body;
        }

        public HttpStatusCode Status { get; }

        public string Body { get; }

        public string Message
        {
            get
            {
                try
                {
                    using var document = JsonDocument.Parse(Body);
                    if (document.RootElement.ValueKind == JsonValueKind.Object && FlagState.Text(document.RootElement, "message") is { } message)
                    {
                        return message;
                    }
                }
                catch (JsonException)
                {
                    // Not Unleash's error shape: the status says enough, and a page's HTML is no message.
                }

                return "no message";
            }
        }
    }
}
