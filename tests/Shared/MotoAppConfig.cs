using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rollback.Testing;

/// <summary>
/// AWS AppConfig for the tests, in two honest parts. moto 5.2.1 serves applications, configuration profiles and hosted
/// configuration versions: the test arranges them in moto directly, and the module reads them from moto through the
/// SigV4-checking endpoint. moto serves no environments, deployment strategies or deployments: <see cref="Serve"/>
/// answers those operations in the same endpoint (after its signature check), following the published service model
/// (restJson1, PascalCase members): GetEnvironment, ListEnvironments, ListDeployments (summaries, newest first),
/// GetDeployment, StartDeployment, StopDeployment. StartDeployment refuses a second deployment in progress
/// (ConflictException), an unknown environment, and a version moto no longer hosts (it asks moto); a deployment moves
/// one step per GetDeployment (DEPLOYING 0 %, 50 %, BAKING 100 %, COMPLETE), or with <see cref="RollBackNext"/> ends
/// ROLLED_BACK; StopDeployment rolls it back. Uses no Rollback type.
/// </summary>
public sealed class MotoAppConfig : IDisposable
{
    private static readonly Regex Route = new(@"^/applications/(?<app>[^/?]+)/environments(?:/(?<env>[^/?]+)(?:/deployments(?:/(?<number>\d+))?)?)?(?:\?.*)?$", RegexOptions.CultureInvariant);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;
    private readonly object _gate = new();
    private readonly List<EnvironmentState> _environments = new();
    private readonly List<DeploymentState> _deployments = new();

    public MotoAppConfig(Uri moto)
    {
        _moto = moto;
    }

    /// <summary>The next deployment StartDeployment starts is rolled back by AppConfig after two reads (an alarm went off).</summary>
    public bool RollBackNext { get; set; }

    /// <summary>Every served operation, in order ("StartDeployment", "GetDeployment", ...).</summary>
    public List<string> Served { get; } = new();

    public int Count(string operation)
    {
        lock (_gate)
        {
            return Served.Count(o => o == operation);
        }
    }

    // ---- moto: applications, profiles, hosted versions --------------------------------------------------------------

    public string CreateApplication(string name) => Call(HttpMethod.Post, "/applications", new JsonObject { ["Name"] = name }.ToJsonString(), "application/json")
        .Json!["Id"]!.GetValue<string>();

    public string CreateFeatureFlagProfile(string application, string name) => Call(HttpMethod.Post, $"/applications/{application}/configurationprofiles",
        new JsonObject { ["Name"] = name, ["LocationUri"] = "hosted", ["Type"] = "AWS.AppConfig.FeatureFlags" }.ToJsonString(), "application/json").Json!["Id"]!.GetValue<string>();

    /// <summary>Creates the next hosted version with <paramref name="content"/> (JSON); returns its number.</summary>
    public string CreateHostedVersion(string application, string profile, string content) =>
        Call(HttpMethod.Post, $"/applications/{application}/configurationprofiles/{profile}/hostedconfigurationversions", content, "application/json").Headers["Version-Number"];

    public void DeleteHostedVersion(string application, string profile, string version) =>
        Call(HttpMethod.Delete, $"/applications/{application}/configurationprofiles/{profile}/hostedconfigurationversions/{version}", null, null);

    /// <summary>Feature-flag content as AppConfig's feature-flag profiles hold it: one flag, on or off.</summary>
    public static string Flags(string flag, bool enabled) => new JsonObject
    {
        ["version"] = "1",
        ["flags"] = new JsonObject { [flag] = new JsonObject { ["name"] = flag } },
        ["values"] = new JsonObject { [flag] = new JsonObject { ["enabled"] = enabled } },
    }.ToJsonString();

    // ---- served here: environments and deployments -------------------------------------------------------------------

    public string AddEnvironment(string application, string name)
    {
        lock (_gate)
        {
            var environment = new EnvironmentState(application, NewId(), name);
            _environments.Add(environment);
            return environment.Id;
        }
    }

    /// <summary>What a deploy pipeline did: a deployment of <paramref name="version"/>, COMPLETE at once.</summary>
    public int Deploy(string application, string environment, string profile, string version) => Add(application, environment, profile, version, "COMPLETE", 100).Number;

    /// <summary>A deployment that stays DEPLOYING (someone else's, in progress).</summary>
    public int StartStuckDeployment(string application, string environment, string profile, string version) =>
        Add(application, environment, profile, version, "DEPLOYING", 10, stuck: true).Number;

    public void Dispose() => _http.Dispose();

    /// <summary>The endpoint's <see cref="AwsTestEndpoint.Serve"/>: answers the environment and deployment operations, null for the rest (moto's).</summary>
    public ScriptedAnswer? Serve(string method, string rawUrl, byte[] body)
    {
        var match = Route.Match(rawUrl);
        if (!match.Success)
        {
            return null;
        }

        var app = match.Groups["app"].Value;
        var env = match.Groups["env"].Success ? match.Groups["env"].Value : null;
        var deployments = rawUrl.Split('?')[0].Contains("/deployments", StringComparison.Ordinal);
        var number = match.Groups["number"].Success ? int.Parse(match.Groups["number"].Value, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        lock (_gate)
        {
            var operation = (method, env, deployments, number) switch
            {
                ("GET", null, _, _) => "ListEnvironments",
                ("GET", _, false, _) => "GetEnvironment",
                ("GET", _, true, null) => "ListDeployments",
                ("GET", _, true, _) => "GetDeployment",
                ("POST", _, true, null) => "StartDeployment",
                ("DELETE", _, true, not null) => "StopDeployment",
                _ => "Unknown",
            };
            Served.Add(operation);
            if (operation == "ListEnvironments")
            {
                return Ok(new JsonObject { ["Items"] = new JsonArray(_environments.Where(e => e.Application == app).Select(e => (JsonNode)ToJson(e)).ToArray()) });
            }

            var environment = _environments.FirstOrDefault(e => e.Application == app && e.Id == env);
            if (environment is null)
            {
                return Error(404, "ResourceNotFoundException", "Environment not found");
            }

            switch (operation)
            {
                case "GetEnvironment":
                    return Ok(ToJson(environment));
                case "ListDeployments":
                    return Ok(new JsonObject
                    {
                        ["Items"] = new JsonArray(Of(environment).OrderByDescending(d => d.Number).Select(d => (JsonNode)new JsonObject
                        {
                            ["DeploymentNumber"] = d.Number, ["ConfigurationName"] = d.Profile, ["ConfigurationVersion"] = d.Version, ["State"] = d.State, ["PercentageComplete"] = d.Percent,
                        }).ToArray()),
                    });
                case "GetDeployment":
                    var read = Of(environment).FirstOrDefault(d => d.Number == number);
                    if (read is null)
                    {
                        return Error(404, "ResourceNotFoundException", "Deployment not found");
                    }

                    Advance(read);
                    return Ok(ToJson(read));
                case "StartDeployment":
                    return Start(environment, JsonNode.Parse(body) as JsonObject ?? new JsonObject());
                case "StopDeployment":
                    var stop = Of(environment).FirstOrDefault(d => d.Number == number);
                    if (stop is null || stop.State is "COMPLETE" or "ROLLED_BACK")
                    {
                        return Error(stop is null ? 404 : 400, stop is null ? "ResourceNotFoundException" : "BadRequestException", "Deployment is not in progress");
                    }

                    stop.State = "ROLLED_BACK";
                    return new ScriptedAnswer(202, ToJson(stop).ToJsonString());
                default:
                    return Error(400, "BadRequestException", $"{method} {rawUrl} is not served by this test endpoint.");
            }
        }
    }

    private ScriptedAnswer Start(EnvironmentState environment, JsonObject input)
    {
        var profile = input["ConfigurationProfileId"]?.GetValue<string>() ?? string.Empty;
        var version = input["ConfigurationVersion"]?.GetValue<string>() ?? string.Empty;
        var strategy = input["DeploymentStrategyId"]?.GetValue<string>() ?? string.Empty;
        if (!strategy.StartsWith("AppConfig.", StringComparison.Ordinal))
        {
            return Error(404, "ResourceNotFoundException", "Deployment strategy not found");
        }

        if (Of(environment).Any(d => d.State is "DEPLOYING" or "BAKING" or "ROLLING_BACK"))
        {
            return Error(409, "ConflictException", "Cannot start a deployment while another deployment is in progress.");
        }

        // The version must be hosted: asked of moto, which holds the versions.
        var hosted = Send(HttpMethod.Get, $"/applications/{environment.Application}/configurationprofiles/{profile}/hostedconfigurationversions/{version}", null, null);
        if (!hosted.Ok)
        {
            return Error(404, "ResourceNotFoundException", "HostedConfigurationVersion not found");
        }

        var deployment = Add(environment.Application, environment.Id, profile, version, "DEPLOYING", 0);
        deployment.Strategy = strategy;
        deployment.RollsBack = RollBackNext;
        RollBackNext = false;
        return new ScriptedAnswer(201, ToJson(deployment).ToJsonString());
    }

    private static void Advance(DeploymentState deployment)
    {
        if (deployment.Stuck || deployment.State is "COMPLETE" or "ROLLED_BACK")
        {
            return;
        }

        deployment.Reads++;
        if (deployment.RollsBack && deployment.Reads >= 2)
        {
            deployment.State = "ROLLED_BACK";
            return;
        }

        (deployment.State, deployment.Percent) = deployment.Reads switch
        {
            1 => ("DEPLOYING", 50),
            2 => ("BAKING", 100),
            _ => ("COMPLETE", 100),
        };
    }

    private DeploymentState Add(string application, string environment, string profile, string version, string state, int percent, bool stuck = false)
    {
        lock (_gate)
        {
            var deployment = new DeploymentState(application, environment, _deployments.Count(d => d.Environment == environment) + 1, profile, version)
            {
                State = state, Percent = percent, Stuck = stuck,
            };
            _deployments.Add(deployment);
            return deployment;
        }
    }

    private IEnumerable<DeploymentState> Of(EnvironmentState environment) => _deployments.Where(d => d.Environment == environment.Id);

    private static JsonObject ToJson(EnvironmentState e) => new() { ["ApplicationId"] = e.Application, ["Id"] = e.Id, ["Name"] = e.Name, ["State"] = "READY_FOR_DEPLOYMENT" };

    private static JsonObject ToJson(DeploymentState d) => new()
    {
        ["ApplicationId"] = d.Application,
        ["EnvironmentId"] = d.Environment,
        ["DeploymentStrategyId"] = d.Strategy,
        ["ConfigurationProfileId"] = d.Profile,
        ["DeploymentNumber"] = d.Number,
        ["ConfigurationName"] = d.Profile,
        ["ConfigurationVersion"] = d.Version,
        ["State"] = d.State,
        ["PercentageComplete"] = d.Percent,
    };

    private static ScriptedAnswer Ok(JsonObject body) => new(200, body.ToJsonString());

    private static ScriptedAnswer Error(int status, string type, string message) => new(status, new JsonObject { ["__type"] = type, ["Message"] = message }.ToJsonString());

    private static string NewId() => Guid.NewGuid().ToString("N").Substring(0, 7);

    private (JsonObject? Json, Dictionary<string, string> Headers) Call(HttpMethod method, string path, string? body, string? contentType)
    {
        var answer = Send(method, path, body, contentType);
        if (!answer.Ok)
        {
            throw new InvalidOperationException($"moto AppConfig {method} {path} failed: {answer.Text}");
        }

        JsonObject? json = null;
        try
        {
            json = string.IsNullOrWhiteSpace(answer.Text) ? null : JsonNode.Parse(answer.Text) as JsonObject;
        }
        catch (JsonException)
        {
            // A hosted version's answer is its content.
        }

        return (json, answer.Headers);
    }

    private (bool Ok, string Text, Dictionary<string, string> Headers) Send(HttpMethod method, string path, string? body, string? contentType)
    {
        using var request = new HttpRequestMessage(method, new Uri(_moto, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        }

        // moto takes the account and region from the credential scope; the signature itself is not checked there.
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/appconfig/aws4_request, SignedHeaders=host, Signature=0");
        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return (response.IsSuccessStatusCode, text, headers);
    }

    private sealed class EnvironmentState(string application, string id, string name)
    {
        public string Application { get; } = application;

        public string Id { get; } = id;

        public string Name { get; } = name;
    }

    private sealed class DeploymentState(string application, string environment, int number, string profile, string version)
    {
        public string Application { get; } = application;

        public string Environment { get; } = environment;

        public int Number { get; } = number;

        public string Profile { get; } = profile;

        public string Version { get; } = version;

        public string Strategy { get; set; } = "AppConfig.AllAtOnce";

        public string State { get; set; } = "DEPLOYING";

        public int Percent { get; set; }

        public int Reads { get; set; }

        public bool RollsBack { get; set; }

        public bool Stuck { get; init; }
    }
}
