using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// Proves the loopback CodeDeploy endpoint faithful: the real AWS CLI (botocore parses every answer against the
/// published service model) drives each operation the module uses, accepts every answer (exit code 0) and prints the
/// state the endpoint holds; faults come back to it as the AWS errors they name; the endpoint's SigV4 check accepts
/// every botocore-signed request and refuses wrongly signed and unsigned ones. Skipped, with the reason, without a CLI.
/// </summary>
public sealed class CodeDeployEndpointCliTests : IDisposable
{
    private const string App = "Chargeworx";
    private const string Group = "Production";

    private static readonly JsonObject GoodRevision = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.2.zip", "zip", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "9b2cf535f27731c974343645a3985328");
    private static readonly JsonObject BadRevision = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.3.zip", "zip", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh", "2ff0a9b1ce2fd0a3c7ad5a4da1b8b4c2");

    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly AwsCli? _cli;
    private readonly string? _skip;

    public CodeDeployEndpointCliTests()
    {
        _cli = AwsCli.Find(out _skip);
        _endpoint.AddApplication(App);
        _endpoint.AddDeploymentGroup(App, Group, instances: 3);
    }

    public void Dispose() => _endpoint.Dispose();

    private AwsCliResult Aws(params string[] arguments) =>
        _cli!.Call(_endpoint.Url, CodeDeployEndpoint.Region, CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, arguments);

    private JsonObject Ok(params string[] arguments)
    {
        var result = Aws(arguments);
        Assert.True(result.ExitCode == 0, $"{_cli!.Version}: aws {string.Join(' ', arguments)}\n{result}");
        return result.Json ?? new JsonObject();
    }

    private static string S(JsonNode? node) => node?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException("missing member");

    private static int N(JsonNode? node) => node?.GetValue<int>() ?? throw new Xunit.Sdk.XunitException("missing member");

    [SkippableFact]
    public void CliAcceptsTheApplicationGroupAndHistoryAnswers()
    {
        Skip.If(_cli is null, _skip);
        var good = _endpoint.AddDeployment(App, Group, GoodRevision, "Succeeded", "v1.2.2");
        var bad = _endpoint.AddDeployment(App, Group, BadRevision, "Failed", "v1.2.3");

        var application = Ok("deploy", "get-application", "--application-name", App)["application"]!;
        Assert.Equal(App, S(application["applicationName"]));
        Assert.Equal("Server", S(application["computePlatform"]));
        Assert.NotNull(application["createTime"]);

        var group = Ok("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", Group)["deploymentGroupInfo"]!;
        Assert.Equal(Group, S(group["deploymentGroupName"]));
        Assert.Equal("CodeDeployDefault.OneAtATime", S(group["deploymentConfigName"]));
        Assert.Equal(good, S(group["lastSuccessfulDeployment"]!["deploymentId"]));
        Assert.Equal("Succeeded", S(group["lastSuccessfulDeployment"]!["status"]));
        Assert.Equal(bad, S(group["lastAttemptedDeployment"]!["deploymentId"]));
        Assert.Equal("Failed", S(group["lastAttemptedDeployment"]!["status"]));
        Assert.False(group["autoRollbackConfiguration"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("api/v1.2.3.zip", S(group["targetRevision"]!["s3Location"]!["key"]));

        var all = Ok("deploy", "list-deployments", "--application-name", App, "--deployment-group-name", Group)["deployments"]!.AsArray().Select(S).ToList();
        Assert.Equal(new[] { bad, good }, all);
        var succeeded = Ok("deploy", "list-deployments", "--application-name", App, "--deployment-group-name", Group, "--include-only-statuses", "Succeeded")["deployments"]!.AsArray().Select(S);
        Assert.Equal(new[] { good }, succeeded);

        var info = Ok("deploy", "get-deployment", "--deployment-id", good)["deploymentInfo"]!;
        Assert.Equal("Succeeded", S(info["status"]));
        Assert.Equal("S3", S(info["revision"]!["revisionType"]));
        Assert.Equal("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", S(info["revision"]!["s3Location"]!["version"]));
        Assert.Equal(3, N(info["deploymentOverview"]!["Succeeded"]));
        Assert.NotNull(info["completeTime"]);

        var failed = Ok("deploy", "get-deployment", "--deployment-id", bad)["deploymentInfo"]!;
        Assert.Equal("Failed", S(failed["status"]));
        Assert.Equal("HEALTH_CONSTRAINTS", S(failed["errorInformation"]!["code"]));
        Assert.Equal(1, N(failed["deploymentOverview"]!["Failed"]));
        Assert.Equal(2, N(failed["deploymentOverview"]!["Skipped"]));

        var batch = Ok("deploy", "batch-get-deployments", "--deployment-ids", good, bad)["deploymentsInfo"]!.AsArray();
        Assert.Equal(new[] { good, bad }, batch.Select(d => S(d!["deploymentId"])));

        var revision = Ok("deploy", "get-application-revision", "--application-name", App, "--s3-location",
            "bucket=chargeworx-deployments,key=api/v1.2.2.zip,bundleType=zip,version=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY,eTag=9b2cf535f27731c974343645a3985328");
        Assert.Equal(Group, S(revision["revisionInfo"]!["deploymentGroups"]![0]));
        Assert.NotNull(revision["revisionInfo"]!["registerTime"]);
        Assert.Equal("api/v1.2.2.zip", S(revision["revision"]!["s3Location"]!["key"]));
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliFollowsACreatedDeploymentToSuccessThroughEveryInstanceState()
    {
        Skip.If(_cli is null, _skip);
        _endpoint.AddDeployment(App, Group, GoodRevision, "Succeeded");
        _endpoint.AddDeployment(App, Group, BadRevision, "Failed");

        // Seed 000, step 2: redeploy the previous revision.
        var id = S(Ok("deploy", "create-deployment", "--application-name", App, "--deployment-group-name", Group,
            "--s3-location", "bucket=chargeworx-deployments,key=api/v1.2.2.zip,bundleType=zip,version=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
            "--description", "Rollback to previous version")["deploymentId"]);
        Assert.StartsWith("d-", id, StringComparison.Ordinal);
        var created = _endpoint.Deployment(id);
        Assert.Equal("Created", created.Status);
        Assert.Equal("Rollback to previous version", created.Description);
        Assert.Equal("api/v1.2.2.zip", S(created.Revision["s3Location"]!["key"]));

        // Step 3: watch it. Each read moves the endpoint's script one step; the CLI must accept every intermediate answer.
        var seen = new System.Collections.Generic.List<string>();
        for (var read = 0; read < 20; read++)
        {
            var info = Ok("deploy", "get-deployment", "--deployment-id", id)["deploymentInfo"]!;
            var overview = info["deploymentOverview"]!;
            var view = _endpoint.Deployment(id);
            Assert.Equal(view.Status, S(info["status"]));
            foreach (var state in new[] { "Pending", "InProgress", "Succeeded", "Failed", "Skipped" })
            {
                Assert.Equal(view.Instances.Values.Count(v => v == state), N(overview[state]));
            }

            seen.Add($"{S(info["status"])}:{N(overview["Pending"])}/{N(overview["InProgress"])}/{N(overview["Succeeded"])}");
            if (S(info["status"]) == "Succeeded")
            {
                Assert.NotNull(info["completeTime"]);
                Assert.Equal("api/v1.2.2.zip", S(info["previousRevision"]!["s3Location"]!["key"]));
                break;
            }
        }

        Assert.Equal(new[] { "InProgress:3/0/0", "InProgress:2/1/0", "InProgress:2/0/1", "InProgress:1/1/1", "InProgress:1/0/2", "InProgress:0/1/2", "InProgress:0/0/3", "Succeeded:0/0/3" }, seen);

        var instances = Ok("deploy", "list-deployment-instances", "--deployment-id", id)["instancesList"]!.AsArray().Select(S).ToList();
        Assert.Equal(3, instances.Count);
        var targets = Ok("deploy", "list-deployment-targets", "--deployment-id", id)["targetIds"]!.AsArray().Select(S).ToList();
        Assert.Equal(instances, targets);
        var detail = Ok("deploy", "batch-get-deployment-targets", "--deployment-id", id, "--target-ids", targets[0], targets[1])["deploymentTargets"]!.AsArray();
        Assert.All(detail, t =>
        {
            Assert.Equal("InstanceTarget", S(t!["deploymentTargetType"]));
            Assert.Equal("Succeeded", S(t["instanceTarget"]!["status"]));
        });
        var group = Ok("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", Group)["deploymentGroupInfo"]!;
        Assert.Equal(id, S(group["lastSuccessfulDeployment"]!["deploymentId"]));
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliSeesAFailingDeploymentFailAndSkipTheRest()
    {
        Skip.If(_cli is null, _skip);
        _endpoint.Script = DeploymentScript.FailsOnInstance(1);
        var id = S(Ok("deploy", "create-deployment", "--application-name", App, "--deployment-group-name", Group,
            "--github-location", "repository=chargeworx/api,commitId=4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a")["deploymentId"]);

        JsonNode info;
        var reads = 0;
        do
        {
            info = Ok("deploy", "get-deployment", "--deployment-id", id)["deploymentInfo"]!;
        }
        while (S(info["status"]) == "InProgress" && ++reads < 20);

        Assert.Equal("Failed", S(info["status"]));
        Assert.Equal("HEALTH_CONSTRAINTS", S(info["errorInformation"]!["code"]));
        Assert.Equal(1, N(info["deploymentOverview"]!["Succeeded"]));
        Assert.Equal(1, N(info["deploymentOverview"]!["Failed"]));
        Assert.Equal(1, N(info["deploymentOverview"]!["Skipped"]));
        Assert.Equal("GitHub", S(info["revision"]!["revisionType"]));
        var failedOnly = Ok("deploy", "list-deployment-targets", "--deployment-id", id, "--target-filters", "TargetStatus=Failed")["targetIds"]!.AsArray();
        Assert.Single(failedOnly);
        var revision = Ok("deploy", "get-application-revision", "--application-name", App,
            "--github-location", "repository=chargeworx/api,commitId=4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a");
        Assert.Equal("chargeworx/api", S(revision["revision"]!["gitHubLocation"]!["repository"]));
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliStopsAHangingDeploymentWithAutomaticRollbackAndUpdatesTheGroup()
    {
        Skip.If(_cli is null, _skip);
        _endpoint.AddDeployment(App, Group, GoodRevision, "Succeeded");
        _endpoint.Script = DeploymentScript.Hangs;
        const string AppSpec = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/api\n";
        var revisionJson = new JsonObject { ["revisionType"] = "AppSpecContent", ["appSpecContent"] = new JsonObject { ["content"] = AppSpec } }.ToJsonString();
        var id = S(Ok("deploy", "create-deployment", "--application-name", App, "--deployment-group-name", Group, "--revision", revisionJson)["deploymentId"]);
        Assert.Equal("InProgress", S(Ok("deploy", "get-deployment", "--deployment-id", id)["deploymentInfo"]!["status"]));

        // A second deployment while one is active is refused as AWS refuses it.
        var second = Aws("deploy", "create-deployment", "--application-name", App, "--deployment-group-name", Group, "--revision", revisionJson);
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("DeploymentLimitExceededException", second.StandardError, StringComparison.Ordinal);

        var stop = Ok("deploy", "stop-deployment", "--deployment-id", id, "--auto-rollback-enabled");
        Assert.Equal("Pending", S(stop["status"]));
        var view = _endpoint.Deployment(id);
        Assert.True(view.StopRequested);
        Assert.True(view.StopAutoRollback);
        var info = Ok("deploy", "get-deployment", "--deployment-id", id)["deploymentInfo"]!;
        Assert.Equal("Stopped", S(info["status"]));
        Assert.Equal(view.RollbackDeploymentId, S(info["rollbackInfo"]!["rollbackDeploymentId"]));
        var rollback = Ok("deploy", "get-deployment", "--deployment-id", view.RollbackDeploymentId!)["deploymentInfo"]!;
        Assert.Equal("codeDeployRollback", S(rollback["creator"]));
        Assert.Equal(id, S(rollback["rollbackInfo"]!["rollbackTriggeringDeploymentId"]));

        var again = Aws("deploy", "stop-deployment", "--deployment-id", id);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("DeploymentAlreadyCompletedException", again.StandardError, StringComparison.Ordinal);

        // Seed 000's recommended configuration.
        var update = Ok("deploy", "update-deployment-group", "--application-name", App, "--current-deployment-group-name", Group,
            "--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_ALARM");
        Assert.Empty(update["hooksNotCleanedUp"]!.AsArray());
        var configured = _endpoint.GroupAutoRollback(App, Group)!;
        Assert.True(configured["enabled"]!.GetValue<bool>());
        Assert.Equal(new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" }, configured["events"]!.AsArray().Select(S));
        var group = Ok("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", Group)["deploymentGroupInfo"]!;
        Assert.True(group["autoRollbackConfiguration"]!["enabled"]!.GetValue<bool>());

        var appSpec = Ok("deploy", "get-application-revision", "--application-name", App, "--revision", revisionJson);
        Assert.Equal(AppSpec, S(appSpec["revision"]!["appSpecContent"]!["content"]));
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliCreatesApplicationsGroupsAndRevisionsLikeTheSeedsDo()
    {
        Skip.If(_cli is null, _skip);
        var appId = S(Ok("deploy", "create-application", "--application-name", "Billing")["applicationId"]);
        Assert.False(string.IsNullOrEmpty(appId));
        var groupId = S(Ok("deploy", "create-deployment-group", "--application-name", "Billing", "--deployment-group-name", "Staging",
            "--service-role-arn", "arn:aws:iam::123456789012:role/CodeDeployServiceRole",
            "--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_FAILURE")["deploymentGroupId"]);
        Assert.False(string.IsNullOrEmpty(groupId));
        Ok("deploy", "register-application-revision", "--application-name", "Billing", "--description", "v9",
            "--s3-location", "bucket=billing,key=v9.tgz,bundleType=tgz");
        var revision = Ok("deploy", "get-application-revision", "--application-name", "Billing", "--s3-location", "bucket=billing,key=v9.tgz,bundleType=tgz");
        Assert.Equal("v9", S(revision["revisionInfo"]!["description"]));
        Assert.Empty(revision["revisionInfo"]!["deploymentGroups"]!.AsArray());
        Assert.True(_endpoint.GroupAutoRollback("Billing", "Staging")!["enabled"]!.GetValue<bool>());
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableTheory]
    [InlineData("ApplicationDoesNotExistException")]
    [InlineData("DeploymentGroupDoesNotExistException")]
    [InlineData("AccessDeniedException")]
    [InlineData("ThrottlingException")]
    [InlineData("InternalFailure")]
    [InlineData("ServiceUnavailable")]
    [InlineData("ExpiredTokenException")]
    public void CliReportsEachInjectedFaultAsTheAwsErrorItNames(string errorType)
    {
        Skip.If(_cli is null, _skip);
        var fault = errorType switch
        {
            "ApplicationDoesNotExistException" => EndpointFault.ApplicationDoesNotExist(App),
            "DeploymentGroupDoesNotExistException" => EndpointFault.DeploymentGroupDoesNotExist(Group),
            "AccessDeniedException" => EndpointFault.AccessDenied,
            "ThrottlingException" => EndpointFault.Throttling,
            "InternalFailure" => EndpointFault.InternalFailure,
            "ServiceUnavailable" => EndpointFault.ServiceUnavailable,
            _ => EndpointFault.ExpiredToken,
        };
        _endpoint.Inject(fault, "GetDeploymentGroup", times: 1);

        var failed = Aws("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", Group);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains($"({errorType})", failed.StandardError, StringComparison.Ordinal);
        Assert.Contains("GetDeploymentGroup", failed.StandardError, StringComparison.Ordinal);

        // The fault was for one request: the next one is answered.
        Ok("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", Group);
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliReportsUnknownApplicationsGroupsDeploymentsAndRevisionsFromTheState()
    {
        Skip.If(_cli is null, _skip);
        Assert.Contains("(ApplicationDoesNotExistException)", Aws("deploy", "get-application", "--application-name", "Nope").StandardError, StringComparison.Ordinal);
        Assert.Contains("(DeploymentGroupDoesNotExistException)", Aws("deploy", "get-deployment-group", "--application-name", App, "--deployment-group-name", "Nope").StandardError, StringComparison.Ordinal);
        Assert.Contains("(DeploymentDoesNotExistException)", Aws("deploy", "get-deployment", "--deployment-id", "d-NOPE12345").StandardError, StringComparison.Ordinal);
        Assert.Contains("(RevisionDoesNotExistException)", Aws("deploy", "get-application-revision", "--application-name", App, "--s3-location", "bucket=b,key=k.zip,bundleType=zip").StandardError, StringComparison.Ordinal);
        Assert.Contains("(InvalidAutoRollbackConfigException)", Aws("deploy", "update-deployment-group", "--application-name", App, "--current-deployment-group-name", Group,
            "--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_SOMETIMES").StandardError, StringComparison.Ordinal);
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void CliTimesOutOnAnEndpointThatNeverAnswers()
    {
        Skip.If(_cli is null, _skip);
        _endpoint.Inject(EndpointFault.NoAnswerAtAll, "GetApplication");
        var result = Aws("--cli-read-timeout", "2", "deploy", "get-application", "--application-name", App);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("timeout", result.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void WrongSecretUnknownKeyAndNoSignatureAreRefused()
    {
        Skip.If(_cli is null, _skip);
        var wrongSecret = _cli!.Call(_endpoint.Url, CodeDeployEndpoint.Region, CodeDeployEndpoint.AccessKeyId, "not-the-secret", "deploy", "get-application", "--application-name", App);
        Assert.NotEqual(0, wrongSecret.ExitCode);
        Assert.Contains("(InvalidSignatureException)", wrongSecret.StandardError, StringComparison.Ordinal);

        var unknownKey = _cli.Call(_endpoint.Url, CodeDeployEndpoint.Region, "AKIDSOMEONEELSE00000", CodeDeployEndpoint.SecretAccessKey, "deploy", "get-application", "--application-name", App);
        Assert.NotEqual(0, unknownKey.ExitCode);
        Assert.Contains("(UnrecognizedClientException)", unknownKey.StandardError, StringComparison.Ordinal);

        var wrongRegion = _cli.Call(_endpoint.Url, "eu-west-1", CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, "deploy", "get-application", "--application-name", App);
        Assert.NotEqual(0, wrongRegion.ExitCode);
        Assert.Contains("(InvalidSignatureException)", wrongRegion.StandardError, StringComparison.Ordinal);

        using var http = new HttpClient();
        using var unsigned = new HttpRequestMessage(HttpMethod.Post, _endpoint.Url)
        {
            Content = new StringContent("{\"applicationName\":\"Chargeworx\"}", Encoding.UTF8, CodeDeployEndpoint.ContentType),
        };
        unsigned.Headers.Add("X-Amz-Target", CodeDeployEndpoint.TargetPrefix + "GetApplication");
        using var response = http.Send(unsigned);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("MissingAuthenticationTokenException", response.Content.ReadAsStringAsync().Result, StringComparison.Ordinal);

        Assert.Equal(new[] { "InvalidSignatureException", "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException" },
            _endpoint.Rejections.Select(r => r.ErrorType));
        Assert.Equal(0, _endpoint.Calls.Count(c => c.SignatureValid));
    }
}
