using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;

namespace Rollback.Testing;

/// <summary>
/// moto with the SigV4-checking endpoint in front, for one test class. Sets the test credentials in the process
/// environment (the same constant values for every class, so classes running side by side agree) and turns off the
/// instance-metadata lookups of the SDK's chains. Test setup (creating secrets, putting values) talks to moto directly;
/// everything the module sends goes through <see cref="Endpoint"/> and is checked.
/// </summary>
public sealed class MotoFixture : IDisposable
{
    private static readonly string[] AwsVariables = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED" };

    private readonly HttpClient _direct = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// The AWS variables as the process had them before any fixture replaced them with the test credentials (taken
    /// when this type is first touched): the opt-in live test puts them back while it runs alone.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> OriginalAwsEnvironment { get; } = AwsVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    /// <summary>Sets the test credentials (what every fixture does on creation).</summary>
    public static void UseTestCredentials()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AwsTestEndpoint.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", AwsTestEndpoint.SecretKey);
        Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    public MotoFixture()
    {
        _ = OriginalAwsEnvironment.Count;
        UseTestCredentials();
        Moto = new MotoServer();
        SkipReason = Moto.SkipReason;
        if (SkipReason is not null)
        {
            return;
        }

        if (MotoServer.FindOnPath("python3") is null || !File.Exists(AwsTestEndpoint.VerifierScript))
        {
            SkipReason = "python3 or the SigV4 verifier script is missing: every request must be checked, so the AWS tests skip.";
            return;
        }

        Endpoint = AwsTestEndpoint.ForMoto(Moto.Url, "secretsmanager");
    }

    public MotoServer Moto { get; }

    public AwsTestEndpoint? Endpoint { get; }

    public string? SkipReason { get; }

    public Uri EndpointUrl => Endpoint!.Url;

    public static string UniqueName(string prefix) => $"rollback-test/{prefix}-{Guid.NewGuid():N}";

    /// <summary>Creates a secret with <paramref name="values"/>.Length versions, the last AWSCURRENT; returns the version ids in order.</summary>
    public IReadOnlyList<string> CreateSecret(string name, params string[] values)
    {
        var ids = new List<string>();
        var created = Direct("CreateSecret", new Dictionary<string, object> { ["Name"] = name, ["SecretString"] = values[0], ["ClientRequestToken"] = Guid.NewGuid().ToString() });
        ids.Add(created.GetProperty("VersionId").GetString()!);
        foreach (var value in values.Skip(1))
        {
            ids.Add(PutValue(name, value));
        }

        return ids;
    }

    public string PutValue(string name, string value) =>
        Direct("PutSecretValue", new Dictionary<string, object> { ["SecretId"] = name, ["SecretString"] = value, ["ClientRequestToken"] = Guid.NewGuid().ToString() })
            .GetProperty("VersionId").GetString()!;

    /// <summary>The stages of every version (DescribeSecret's VersionIdsToStages).</summary>
    public Dictionary<string, string[]> Stages(string name)
    {
        var described = Direct("DescribeSecret", new Dictionary<string, object> { ["SecretId"] = name });
        return described.GetProperty("VersionIdsToStages").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(s => s.GetString()!).ToArray(), StringComparer.Ordinal);
    }

    public string VersionWith(string name, string stage) => Stages(name).Single(p => p.Value.Contains(stage)).Key;

    public void ScheduleDeletion(string name) => Direct("DeleteSecret", new Dictionary<string, object> { ["SecretId"] = name, ["RecoveryWindowInDays"] = 7 });

    public void MoveStage(string name, string stage, string to, string? from) => Direct("UpdateSecretVersionStage", new Dictionary<string, object?>
    {
        ["SecretId"] = name,
        ["VersionStage"] = stage,
        ["MoveToVersionId"] = to,
        ["RemoveFromVersionId"] = from,
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!));

    public JsonElement Direct(string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Moto.Url)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "secretsmanager." + operation);
        // moto takes the account and region from the credential scope; the signature itself is not checked there.
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0");
        using var response = _direct.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"moto {operation} failed: {(int)response.StatusCode} {text}");
        }

        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text);
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        Endpoint?.Dispose();
        Moto.Dispose();
        _direct.Dispose();
    }
}

/// <summary>
/// One AWS service of the class's moto as a kind's tests use it: the endpoint that checks every request's SigV4
/// signature in front of that service, and the test's own client that arranges state there directly (MotoLambda,
/// MotoEcs, ...). Both are made only when moto runs (tests skip with <see cref="SkipReason"/> otherwise) and are
/// disposed together.
/// </summary>
public sealed class MotoService<TArrange> : IDisposable
    where TArrange : class, IDisposable
{
    private readonly AwsTestEndpoint? _endpoint;
    private readonly TArrange? _arrange;

    public MotoService(MotoFixture aws, string service, Func<Uri, TArrange> arrange)
    {
        SkipReason = aws.SkipReason;
        if (SkipReason is null)
        {
            _endpoint = AwsTestEndpoint.ForMoto(aws.Moto.Url, service);
            _arrange = arrange(aws.Moto.Url);
        }
    }

    public string? SkipReason { get; }

    /// <summary>Where the module is pointed (EndpointUrl): every request it sends is checked and recorded here.</summary>
    public AwsTestEndpoint Endpoint => _endpoint ?? throw NotRunning();

    /// <summary>The test's own client of the service, for arranging and reading state beside the module.</summary>
    public TArrange Arrange => _arrange ?? throw NotRunning();

    public void Dispose()
    {
        _endpoint?.Dispose();
        _arrange?.Dispose();
    }

    private InvalidOperationException NotRunning() => new($"moto is not running ({SkipReason}): the test should have skipped.");
}
