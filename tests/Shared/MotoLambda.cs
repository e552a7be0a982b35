using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rollback.Testing;

/// <summary>
/// Test setup against moto's Lambda itself (never through the checking endpoint: the module's requests are what gets
/// checked): the IAM role moto wants, functions from a zip, published versions, aliases (weighted too), a deleted
/// version, over Lambda's restJson API. Only control-plane calls: nothing is invoked, so moto never needs docker.
/// </summary>
public sealed class MotoLambda : IDisposable
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/rollback-test-lambda";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;

    public MotoLambda(Uri moto)
    {
        _moto = moto;
        // moto refuses a function whose role it does not know; creating it twice is a harmless EntityAlreadyExists.
        var form = "Action=CreateRole&Version=2010-05-08&RoleName=rollback-test-lambda&AssumeRolePolicyDocument="
            + Uri.EscapeDataString("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, _moto) { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
        Authorize(request, "iam");
        using var response = _http.Send(request);
    }

    /// <summary>A function name no other test uses.</summary>
    public static string UniqueFunction(string prefix) => $"{prefix}-{Guid.NewGuid():N}".Substring(0, prefix.Length + 17);

    /// <summary>Creates the function with code <paramref name="code"/> and publishes it; returns the version ("1").</summary>
    public string CreateFunction(string name, string code) => Send(HttpMethod.Post, "/2015-03-31/functions", new JsonObject
    {
        ["FunctionName"] = name,
        ["Runtime"] = "python3.12",
        ["Role"] = RoleArn,
        ["Handler"] = "index.handler",
        ["Code"] = new JsonObject { ["ZipFile"] = Zip(code) },
        ["Publish"] = true,
    })["Version"]!.GetValue<string>();

    /// <summary>New code, published as a new version (a deployment); returns its number.</summary>
    public string Publish(string name, string code) =>
        Send(HttpMethod.Put, $"/2015-03-31/functions/{name}/code", new JsonObject { ["ZipFile"] = Zip(code), ["Publish"] = true })["Version"]!.GetValue<string>();

    public void CreateAlias(string function, string alias, string version, IReadOnlyDictionary<string, double>? weights = null) =>
        Send(HttpMethod.Post, $"/2015-03-31/functions/{function}/aliases", AliasBody(version, weights, ("Name", alias)));

    /// <summary>What a deploy pipeline does: points the alias at another version (and weights).</summary>
    public void UpdateAlias(string function, string alias, string version, IReadOnlyDictionary<string, double>? weights = null) =>
        Send(HttpMethod.Put, $"/2015-03-31/functions/{function}/aliases/{alias}", AliasBody(version, weights));

    public void DeleteAlias(string function, string alias) => Send(HttpMethod.Delete, $"/2015-03-31/functions/{function}/aliases/{alias}", null);

    public void DeleteVersion(string function, string version) => Send(HttpMethod.Delete, $"/2015-03-31/functions/{function}?Qualifier={version}", null);

    /// <summary>The alias as moto holds it: its version and weights.</summary>
    public (string Version, Dictionary<string, double> Weights) Alias(string function, string alias)
    {
        var answer = Send(HttpMethod.Get, $"/2015-03-31/functions/{function}/aliases/{alias}", null);
        var weights = answer["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>()) ?? new Dictionary<string, double>();
        return (answer["FunctionVersion"]!.GetValue<string>(), weights);
    }

    public void Dispose() => _http.Dispose();

    private static JsonObject AliasBody(string version, IReadOnlyDictionary<string, double>? weights, params (string Key, string Value)[] extra)
    {
        var body = new JsonObject { ["FunctionVersion"] = version };
        if (weights is not null)
        {
            var map = new JsonObject();
            foreach (var (key, value) in weights)
            {
                map[key] = value;
            }

            body["RoutingConfig"] = new JsonObject { ["AdditionalVersionWeights"] = map };
        }

        foreach (var (key, value) in extra)
        {
            body[key] = value;
        }

        return body;
    }

    private static string Zip(string code)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("index.py").Open());
            writer.Write("def handler(event, context):\n    return " + JsonSerializer.Serialize(code) + "\n");
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    private static void Authorize(HttpRequestMessage request, string service) =>
        // moto takes the account and region from the credential scope; the signature itself is not checked there.
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/{service}/aws4_request, SignedHeaders=host, Signature=0");

    private JsonObject Send(HttpMethod method, string pathAndQuery, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(_moto, pathAndQuery));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        Authorize(request, "lambda");
        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"moto Lambda {method} {pathAndQuery} failed: {(int)response.StatusCode} {text}");
        }

        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : (JsonNode.Parse(text) as JsonObject ?? new JsonObject());
    }
}
