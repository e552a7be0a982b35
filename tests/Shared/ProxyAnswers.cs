using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// What requests through a proxy (HAProxy, nginx) answer, as the traffic tests count it: the version each answer's
/// health body reports ('v2.3.1'), or what went wrong ('(HTTP 502)', '(no answer)'). Linked source; no Rollback type.
/// </summary>
public static class ProxyAnswers
{
    /// <summary>The version one request to <paramref name="url"/> answers, or what went wrong.</summary>
    public static string Get(HttpClient http, Uri url)
    {
        try
        {
            using var response = http.GetAsync(url).GetAwaiter().GetResult();
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var version = Regex.Match(body, "\"version\":\"([^\"]*)\"");
            return response.IsSuccessStatusCode && version.Success ? version.Groups[1].Value : $"(HTTP {(int)response.StatusCode})";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "(no answer)";
        }
    }

    /// <summary>What <paramref name="count"/> requests answer, counted by version (or by failure).</summary>
    public static Dictionary<string, int> Count(HttpClient http, Uri url, int count)
    {
        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var body = Get(http, url);
            answers[body] = answers.TryGetValue(body, out var seen) ? seen + 1 : 1;
        }

        return answers;
    }

    /// <summary>Waits until <paramref name="count"/> requests in a row answer <paramref name="version"/> only; false after <paramref name="patience"/>.</summary>
    public static bool WaitFor(HttpClient http, Uri url, string version, TimeSpan patience, int count = 5)
    {
        var watch = Stopwatch.StartNew();
        while (!(Count(http, url, count) is { Count: 1 } answers && answers.ContainsKey(version)))
        {
            if (watch.Elapsed > patience)
            {
                return false;
            }

            Thread.Sleep(100);
        }

        return true;
    }
}
