using System;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Text.Json.Nodes;
using System.Threading;
using Amazon.Runtime;
using Rollback.Providers.Aws;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// What moto implements of CodeDeploy (applications, deployment groups, CreateDeployment, GetDeployment,
/// ListDeployments, BatchGetDeployments), driven by the real AWS CLI against moto and against the loopback endpoint
/// with the same commands: both are accepted, and every member moto answers with the endpoint answers with too.
/// moto's deployments never leave Created, which is why the lifecycle is proven against the endpoint instead.
/// Skipped, with the reason, without moto or the CLI.
/// </summary>
public sealed class CodeDeployMotoTests : IClassFixture<MotoServer>, IDisposable
{
    private readonly MotoServer _moto;
    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly AwsCli? _cli;
    private readonly string? _skip;

    public CodeDeployMotoTests(MotoServer moto)
    {
        _moto = moto;
        _cli = AwsCli.Find(out _skip);
        _skip ??= moto.SkipReason;
    }

    public void Dispose() => _endpoint.Dispose();

    private JsonObject Ok(Uri url, params string[] arguments)
    {
        var result = _cli!.Call(url, CodeDeployEndpoint.Region, CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, arguments);
        Assert.True(result.ExitCode == 0, $"{url}: aws {string.Join(' ', arguments)}\n{result}\n{(url == _moto.Url ? _moto.ProcessLog : string.Empty)}");
        return result.Json ?? new JsonObject();
    }

    /// <summary>The members that carry something (moto fills members it does not implement with {}, [] or "").</summary>
    private static IEnumerable<string> Members(JsonNode? node) =>
        node is JsonObject o
            ? o.Where(p => p.Value switch
            {
                null => false,
                JsonObject child => child.Count > 0,
                JsonArray array => array.Count > 0,
                JsonValue value => !(value.TryGetValue<string>(out var text) && text.Length == 0),
                _ => true,
            }).Select(p => p.Key)
            : Enumerable.Empty<string>();

    [SkippableFact]
    public void TheSameCommandsWorkAgainstMotoAndTheEndpointAndTheEndpointAnswersEveryMemberMotoDoes()
    {
        Skip.If(_cli is null || _moto.SkipReason is not null, _skip);
        var application = "moto-app-" + Guid.NewGuid().ToString("N")[..8];
        var answers = new Dictionary<string, Dictionary<Uri, JsonObject>>();

        foreach (var url in new[] { _moto.Url, _endpoint.Url })
        {
            void Keep(string operation, JsonObject answer)
            {
                if (!answers.TryGetValue(operation, out var byUrl))
                {
                    answers[operation] = byUrl = new Dictionary<Uri, JsonObject>();
                }

                byUrl[url] = answer;
            }

            Assert.False(string.IsNullOrEmpty(Ok(url, "deploy", "create-application", "--application-name", application)["applicationId"]?.GetValue<string>()));
            Keep("GetApplication", Ok(url, "deploy", "get-application", "--application-name", application));
            Assert.False(string.IsNullOrEmpty(Ok(url, "deploy", "create-deployment-group", "--application-name", application, "--deployment-group-name", "Production",
                "--service-role-arn", $"arn:aws:iam::{CodeDeployEndpoint.AccountId}:role/CodeDeployServiceRole",
                "--deployment-config-name", "CodeDeployDefault.OneAtATime",
                "--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_ALARM")["deploymentGroupId"]?.GetValue<string>()));
            var id = Ok(url, "deploy", "create-deployment", "--application-name", application, "--deployment-group-name", "Production",
                "--s3-location", "bucket=chargeworx-deployments,key=previous-version.zip,bundleType=zip",
                "--description", "Rollback to previous version")["deploymentId"]!.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(id)); // AWS and the endpoint: d-XXXXXXXXX; moto: a UUID.

            var deployment = Ok(url, "deploy", "get-deployment", "--deployment-id", id);
            Keep("GetDeployment", deployment);
            var info = deployment["deploymentInfo"]!;
            Assert.Equal("Rollback to previous version", info["description"]!.GetValue<string>());
            Assert.Equal("previous-version.zip", info["revision"]!["s3Location"]!["key"]!.GetValue<string>());

            var group = Ok(url, "deploy", "get-deployment-group", "--application-name", application, "--deployment-group-name", "Production");
            Keep("GetDeploymentGroup", group);
            var auto = group["deploymentGroupInfo"]!["autoRollbackConfiguration"]!;
            Assert.True(auto["enabled"]!.GetValue<bool>());
            Assert.Equal(new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" }, auto["events"]!.AsArray().Select(e => e!.GetValue<string>()));

            var listed = Ok(url, "deploy", "list-deployments", "--application-name", application, "--deployment-group-name", "Production");
            Assert.Contains(id, listed["deployments"]!.AsArray().Select(d => d!.GetValue<string>()));
            var batch = Ok(url, "deploy", "batch-get-deployments", "--deployment-ids", id);
            Assert.Equal(id, batch["deploymentsInfo"]![0]!["deploymentId"]!.GetValue<string>());
        }

        Assert.Equal("Created", answers["GetDeployment"][_moto.Url]["deploymentInfo"]!["status"]!.GetValue<string>());
        Assert.All(new[] { ("GetApplication", "application"), ("GetDeployment", "deploymentInfo"), ("GetDeploymentGroup", "deploymentGroupInfo") }, pair =>
        {
            var fromMoto = Members(answers[pair.Item1][_moto.Url][pair.Item2]).ToHashSet(StringComparer.Ordinal);
            var fromEndpoint = Members(answers[pair.Item1][_endpoint.Url][pair.Item2]).ToHashSet(StringComparer.Ordinal);
            fromMoto.ExceptWith(fromEndpoint);
            Assert.True(fromMoto.Count == 0, $"{pair.Item1}: members moto answers and the endpoint does not: {string.Join(", ", fromMoto)}\nmoto: {answers[pair.Item1][_moto.Url]}");
        });
        Assert.Empty(_endpoint.Rejections);
    }
    [SkippableFact]
    public void TheModulesClientReadsAGroupAndItsDeploymentsFromMoto()
    {
        Skip.If(_cli is null || _moto.SkipReason is not null, _skip);
        var application = "moto-module-" + Guid.NewGuid().ToString("N")[..8];
        Ok(_moto.Url, "deploy", "create-application", "--application-name", application);
        Ok(_moto.Url, "deploy", "create-deployment-group", "--application-name", application, "--deployment-group-name", "Production",
            "--service-role-arn", $"arn:aws:iam::{CodeDeployEndpoint.AccountId}:role/CodeDeployServiceRole",
            "--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_FAILURE");

        using var folder = new TempFolder();
        var provider = new CodeDeployDeploymentGroupProvider(target => new CodeDeployClient(new AwsClientOptions
        {
            Region = CodeDeployEndpoint.Region,
            EndpointUrl = _moto.Url,
            MaxAttempts = 1,
            Credentials = new BasicAWSCredentials(CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey),
        }));
        var engine = new RollbackEngine(new RollbackStore(Path.Combine(folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { provider }), NullReporter.Instance, null, "tester");
        engine.Targets.Register("moto", CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(new KeyValuePair<string, object?>[]
        {
            new("ApplicationName", application),
            new("DeploymentGroupName", "Production"),
            new("Region", CodeDeployEndpoint.Region),
            new("EndpointUrl", _moto.Url.ToString()),
        }), replace: false);

        // GetDeploymentGroup through the module's SDK-signed client.
        Assert.Equal("(no deployment)", engine.Targets.Describe("moto").Version);
        var auto = engine.AutoRollback.Get("moto");
        Assert.True(auto.Enabled);
        Assert.Equal(new[] { "DEPLOYMENT_FAILURE" }, auto.Events);
        Assert.Equal(new[] { "DEPLOYMENT_STOP_ON_ALARM" }, auto.MissingRecommendedEvents);

        // moto's deployments stay Created, so the group never has a successful deployment to capture.
        Ok(_moto.Url, "deploy", "create-deployment", "--application-name", application, "--deployment-group-name", "Production",
            "--s3-location", "bucket=chargeworx-deployments,key=v1.zip,bundleType=zip");
        var capture = Assert.Throws<RollbackException>(() => engine.Points.Create("moto", null, CancellationToken.None));
        Assert.Equal(AwsErrorId.CodeDeployNoSuccessfulDeployment, capture.ErrorId);

        // An unknown group is moto's DeploymentGroupDoesNotExistException, mapped like AWS's.
        engine.Targets.Register("missing", CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(new KeyValuePair<string, object?>[]
        {
            new("ApplicationName", application),
            new("DeploymentGroupName", "Nope"),
            new("Region", CodeDeployEndpoint.Region),
            new("EndpointUrl", _moto.Url.ToString()),
        }), replace: false);
        Assert.Equal(AwsErrorId.AwsResourceNotFound, Assert.Throws<RollbackException>(() => engine.Targets.Describe("missing")).ErrorId);
    }
}
