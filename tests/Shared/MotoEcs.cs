using System;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;

namespace Rollback.Testing;

/// <summary>
/// Test setup against moto's ECS itself (never through the checking endpoint: the module's requests are what gets
/// checked): clusters, task definition revisions (registered and deregistered) and services, over ECS's awsJson API.
/// </summary>
public sealed class MotoEcs : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;

    public MotoEcs(Uri moto)
    {
        _moto = moto;
    }

    /// <summary>A name no other test uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}".Substring(0, prefix.Length + 13);

    public void CreateCluster(string name) => Call("CreateCluster", new JsonObject { ["clusterName"] = name });

    /// <summary>Registers the next revision of <paramref name="family"/> running <paramref name="image"/>; returns its ARN.</summary>
    public string Register(string family, string image) => Call("RegisterTaskDefinition", new JsonObject
    {
        ["family"] = family,
        ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = image, ["memory"] = 128 }),
    })["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>();

    public void Deregister(string arn) => Call("DeregisterTaskDefinition", new JsonObject { ["taskDefinition"] = arn });

    public void CreateService(string cluster, string name, string taskDefinition, int desiredCount) => Call("CreateService", new JsonObject
    {
        ["cluster"] = cluster,
        ["serviceName"] = name,
        ["taskDefinition"] = taskDefinition,
        ["desiredCount"] = desiredCount,
    });

    /// <summary>What a deploy pipeline does: the service moved to another task definition.</summary>
    public void Deploy(string cluster, string name, string taskDefinition) =>
        Call("UpdateService", new JsonObject { ["cluster"] = cluster, ["service"] = name, ["taskDefinition"] = taskDefinition });

    public void Dispose() => _http.Dispose();

    private JsonObject Call(string operation, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _moto) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.1") };
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + operation);
        // moto takes the account and region from the credential scope; the signature itself is not checked there.
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/ecs/aws4_request, SignedHeaders=host, Signature=0");
        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"moto ECS {operation} failed: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text) as JsonObject ?? new JsonObject();
    }
}
