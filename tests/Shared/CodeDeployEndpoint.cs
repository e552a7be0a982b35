using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A loopback AWS CodeDeploy endpoint (HttpListener on 127.0.0.1, a free port) that speaks the published service model
/// (awsJson1_1, X-Amz-Target CodeDeploy_20141006.&lt;Operation&gt;, epoch-second timestamps, errors as
/// {"__type","message"}) for the operations a rollback needs, and runs the deployment lifecycle that moto lacks:
/// a deployment created through the API moves Created → InProgress → per-instance Pending/InProgress/Succeeded/Failed/
/// Skipped → Succeeded, Failed or Stopped, one step each time a client reads it, so a test drives it deterministically.
/// Every request's SigV4 signature is verified with the test credentials; an unsigned or wrongly signed request is
/// refused as AWS refuses it and recorded in <see cref="Rejections"/>. Faults are injected per operation.
/// Uses no Rollback type: it is linked into every test project that needs it.
/// </summary>
public sealed class CodeDeployEndpoint : LoopbackHttpServer
{
    /// <summary>The one test key of the AWS tests (the Secrets Manager endpoint's too), so tests side by side agree on the environment.</summary>
    public const string AccessKeyId = AwsTestEndpoint.AccessKey;

    public const string SecretAccessKey = AwsTestEndpoint.SecretKey;
    public const string Region = "us-east-1";
    public const string AccountId = "123456789012";
    public const string TargetPrefix = "CodeDeploy_20141006.";
    public const string ContentType = "application/x-amz-json-1.1";

    private readonly object _gate = new();
    private readonly ConcurrentQueue<CodeDeployCall> _calls = new();
    private readonly ConcurrentQueue<SignatureFault> _rejections = new();
    private readonly Dictionary<string, ApplicationState> _applications = new(StringComparer.Ordinal);
    private readonly List<GroupState> _groups = new();
    private readonly List<DeploymentState> _deployments = new();
    private readonly List<FaultRule> _faults = new();
    private int _sequence;

    public CodeDeployEndpoint()
    {
        Verifier = new SigV4Verifier(AccessKeyId, SecretAccessKey, Region, "codedeploy");
    }

    public SigV4Verifier Verifier { get; }

    /// <summary>What a deployment created through CreateDeployment does as it is read (default: succeeds on every instance).</summary>
    public DeploymentScript Script { get; set; } = DeploymentScript.Succeeds;

    /// <summary>
    /// Called with the operation's name when a NoAnswer fault starts holding a request: the moment the module waits for an
    /// answer that will not come (a test on virtual time moves the clock past the module's deadline there).
    /// </summary>
    public Action<string>? OnHold { get; set; }

    /// <summary>Every request answered or refused, in arrival order.</summary>
    public IReadOnlyList<CodeDeployCall> Calls => _calls.ToList();

    /// <summary>Requests refused for their signature. A test of the module asserts this stays empty.</summary>
    public IReadOnlyList<SignatureFault> Rejections => _rejections.ToList();

    public int Count(string operation) => _calls.Count(c => c.Operation == operation);

    // ---- State the test sets up directly (no HTTP) -------------------------------------------------------------------

    public void AddApplication(string name, string computePlatform = "Server")
    {
        lock (_gate)
        {
            _applications[name] = new ApplicationState(name, Guid.NewGuid().ToString(), computePlatform, Now());
        }
    }

    /// <summary>A deployment group with <paramref name="instances"/> EC2 instances; automatic rollback on the events given (none: disabled).</summary>
    public void AddDeploymentGroup(string application, string group, int instances = 3, string deploymentConfig = "CodeDeployDefault.OneAtATime", params string[] autoRollbackEvents)
    {
        lock (_gate)
        {
            var app = RequireApplication(application);
            _groups.RemoveAll(g => g.Application == application && g.Name == group);
            _groups.Add(new GroupState(application, group, Guid.NewGuid().ToString())
            {
                DeploymentConfig = deploymentConfig,
                ComputePlatform = app.ComputePlatform,
                ServiceRoleArn = $"arn:aws:iam::{AccountId}:role/CodeDeployServiceRole",
                AutoRollback = autoRollbackEvents.Length == 0 ? null : AutoRollback(true, autoRollbackEvents),
                Instances = Enumerable.Range(0, instances).Select(i => "i-0" + (0xabc000 + (_groups.Count * 16) + i).ToString("x", CultureInfo.InvariantCulture) + "0000000").ToList(),
            });
        }
    }

    public void RemoveDeploymentGroup(string application, string group)
    {
        lock (_gate)
        {
            _groups.RemoveAll(g => g.Application == application && g.Name == group);
        }
    }

    /// <summary>A deployment that already happened (or is still running when <paramref name="status"/> is InProgress); its revision is registered.</summary>
    public string AddDeployment(string application, string group, JsonObject revision, string status = "Succeeded", string description = "")
    {
        lock (_gate)
        {
            var g = RequireGroup(application, group);
            var deployment = NewDeployment(g, revision, description, "user", g.DeploymentConfig, null);
            deployment.Script = status == "InProgress" ? DeploymentScript.Hangs : DeploymentScript.Succeeds;
            switch (status)
            {
                case "Succeeded":
                    deployment.Start(Now());
                    deployment.Instances.Keys.ToList().ForEach(i => deployment.Instances[i] = "Succeeded");
                    deployment.Complete("Succeeded", Now());
                    break;
                case "Failed":
                    deployment.Start(Now());
                    deployment.Instances[deployment.Instances.Keys.First()] = "Failed";
                    deployment.Instances.Keys.Skip(1).ToList().ForEach(i => deployment.Instances[i] = "Skipped");
                    deployment.Error = ("HEALTH_CONSTRAINTS", "The overall deployment failed because too many individual instances failed deployment.");
                    deployment.Complete("Failed", Now());
                    break;
                case "Stopped":
                    deployment.Start(Now());
                    deployment.Instances.Keys.ToList().ForEach(i => deployment.Instances[i] = "Skipped");
                    deployment.Complete("Stopped", Now());
                    break;
                case "InProgress":
                    deployment.Start(Now());
                    deployment.Instances[deployment.Instances.Keys.First()] = "InProgress";
                    break;
                case "Created":
                    break;
                default:
                    throw new ArgumentException($"Unknown deployment status '{status}'.", nameof(status));
            }

            return deployment.Id;
        }
    }

    public void RegisterRevision(string application, JsonObject revision, string description = "")
    {
        lock (_gate)
        {
            Register(RequireApplication(application), revision, description, null);
        }
    }

    /// <summary>Deregisters a revision (as if its bundle were removed and the application's history pruned).</summary>
    public void ForgetRevision(string application, JsonObject revision)
    {
        lock (_gate)
        {
            RequireApplication(application).Revisions.RemoveAll(r => SameRevision(r.Revision, revision));
        }
    }

    public void SetAutoRollback(string application, string group, bool enabled, params string[] events)
    {
        lock (_gate)
        {
            RequireGroup(application, group).AutoRollback = AutoRollback(enabled, events);
        }
    }

    /// <summary>Moves a deployment on by one step of its script, as a read does.</summary>
    public void Advance(string deploymentId)
    {
        lock (_gate)
        {
            Step(RequireDeployment(deploymentId));
        }
    }

    /// <summary>Ends a running deployment now with the status given (Succeeded, Failed, Stopped).</summary>
    public void Finish(string deploymentId, string status)
    {
        lock (_gate)
        {
            var d = RequireDeployment(deploymentId);
            if (d.Status is "Created")
            {
                d.Start(Now());
            }

            foreach (var id in d.Instances.Keys.ToList())
            {
                d.Instances[id] = status == "Succeeded" ? "Succeeded" : d.Instances[id] == "Succeeded" ? "Succeeded" : "Skipped";
            }

            d.Complete(status, Now());
        }
    }

    public DeploymentView Deployment(string deploymentId)
    {
        lock (_gate)
        {
            var d = RequireDeployment(deploymentId);
            return new DeploymentView(d.Id, d.Application, d.Group, d.Status, d.Description, (JsonObject)d.Revision.DeepClone(), d.Creator,
                new Dictionary<string, string>(d.Instances), d.StopRequested, d.StopAutoRollback, d.RollbackDeploymentId);
        }
    }

    public IReadOnlyList<DeploymentView> Deployments(string application, string group)
    {
        List<string> ids;
        lock (_gate)
        {
            ids = _deployments.Where(d => d.Application == application && d.Group == group).Select(d => d.Id).ToList();
        }

        return ids.Select(Deployment).ToList();
    }

    public JsonObject? GroupAutoRollback(string application, string group)
    {
        lock (_gate)
        {
            return (JsonObject?)RequireGroup(application, group).AutoRollback?.DeepClone();
        }
    }

    /// <summary>Answers the next <paramref name="times"/> requests for <paramref name="operation"/> (null: any) with the fault.</summary>
    public void Inject(EndpointFault fault, string? operation = null, int times = int.MaxValue)
    {
        lock (_gate)
        {
            _faults.Add(new FaultRule(fault, operation, times));
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    // ---- Revision shapes (RevisionLocation) --------------------------------------------------------------------------

    public static JsonObject S3Revision(string bucket, string key, string bundleType = "zip", string? version = null, string? eTag = null)
    {
        var s3 = new JsonObject { ["bucket"] = bucket, ["key"] = key, ["bundleType"] = bundleType };
        if (version is not null)
        {
            s3["version"] = version;
        }

        if (eTag is not null)
        {
            s3["eTag"] = eTag;
        }

        return new JsonObject { ["revisionType"] = "S3", ["s3Location"] = s3 };
    }

    public static JsonObject GitHubRevision(string repository, string commitId) =>
        new() { ["revisionType"] = "GitHub", ["gitHubLocation"] = new JsonObject { ["repository"] = repository, ["commitId"] = commitId } };

    public static JsonObject AppSpecRevision(string content) =>
        new()
        {
            ["revisionType"] = "AppSpecContent",
            ["appSpecContent"] = new JsonObject { ["content"] = content, ["sha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content))).ToLowerInvariant() },
        };

    // ---- HTTP -------------------------------------------------------------------------------------------------------

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var headers = HeadersOf(context.Request);
        var target = headers.TryGetValue("X-Amz-Target", out var t) ? t : string.Empty;
        var operation = target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target.Substring(TargetPrefix.Length) : target;
        var requestId = Guid.NewGuid().ToString();

        var signatureFault = Verifier.Verify(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body);
        if (signatureFault is not null)
        {
            _rejections.Enqueue(signatureFault);
            var status = signatureFault.ErrorType == "IncompleteSignatureException" ? 400 : 403;
            _calls.Enqueue(new CodeDeployCall(operation, null, status, signatureFault.ErrorType, SignatureValid: false));
            await Write(context, status, Error(signatureFault.ErrorType, signatureFault.Message), requestId, signatureFault.ErrorType).ConfigureAwait(false);
            return;
        }

        JsonObject input;
        try
        {
            input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            _calls.Enqueue(new CodeDeployCall(operation, null, 400, "SerializationException", SignatureValid: true));
            await Write(context, 400, Error("SerializationException", "Start of structure or map found where not expected."), requestId, "SerializationException").ConfigureAwait(false);
            return;
        }

        var fault = TakeFault(operation);
        if (fault is not null)
        {
            _calls.Enqueue(new CodeDeployCall(operation, input, fault.NoAnswer ? 0 : fault.Status, fault.ErrorType, SignatureValid: true));
            if (fault.NoAnswer)
            {
                // Hold the connection open without a byte of answer until the client gives up or the endpoint stops.
                OnHold?.Invoke(operation);
                await Task.Delay(Timeout.Infinite, Stopping).ConfigureAwait(false);
                return;
            }

            await Write(context, fault.Status, Error(fault.ErrorType, fault.Message), requestId, fault.ErrorType).ConfigureAwait(false);
            return;
        }

        Reply reply;
        if (context.Request.HttpMethod != "POST" || !(headers.TryGetValue("Content-Type", out var type) && type.StartsWith(ContentType, StringComparison.Ordinal)))
        {
            reply = Reply.Fail(400, "SerializationException", $"Expected a POST of {ContentType}.");
        }
        else
        {
            lock (_gate)
            {
                reply = Dispatch(operation, input);
            }
        }

        _calls.Enqueue(new CodeDeployCall(operation, input, reply.Status, reply.ErrorType, SignatureValid: true));
        await Write(context, reply.Status, reply.Body, requestId, reply.ErrorType).ConfigureAwait(false);
    }

    private Task Write(HttpListenerContext context, int status, JsonObject body, string requestId, string? errorType)
    {
        // The Date header tells the endpoint's time, by the clock its signature check uses (what a client corrects by).
        context.Response.Headers["Date"] = Verifier.Clock().UtcDateTime.ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        if (errorType is not null)
        {
            context.Response.Headers["x-amzn-ErrorType"] = errorType;
        }

        return RespondAsync(context, status, ContentType, body.ToJsonString());
    }

    private static JsonObject Error(string type, string message) => new() { ["__type"] = type, ["message"] = message };

    private EndpointFault? TakeFault(string operation)
    {
        lock (_gate)
        {
            var rule = _faults.FirstOrDefault(f => f.Remaining > 0 && (f.Operation is null || f.Operation == operation));
            if (rule is null)
            {
                return null;
            }

            rule.Remaining--;
            return rule.Fault;
        }
    }

    // ---- Operations -------------------------------------------------------------------------------------------------

    private Reply Dispatch(string operation, JsonObject input)
    {
        try
        {
            return operation switch
            {
                "GetApplication" => GetApplication(input),
                "CreateApplication" => CreateApplication(input),
                "GetDeploymentGroup" => GetDeploymentGroup(input),
                "CreateDeploymentGroup" => CreateDeploymentGroup(input),
                "UpdateDeploymentGroup" => UpdateDeploymentGroup(input),
                "ListDeployments" => ListDeployments(input),
                "GetDeployment" => GetDeployment(input),
                "BatchGetDeployments" => BatchGetDeployments(input),
                "CreateDeployment" => CreateDeployment(input),
                "StopDeployment" => StopDeployment(input),
                "GetApplicationRevision" => GetApplicationRevision(input),
                "RegisterApplicationRevision" => RegisterApplicationRevision(input),
                "ListDeploymentInstances" => ListDeploymentInstances(input),
                "ListDeploymentTargets" => ListDeploymentTargets(input),
                "BatchGetDeploymentTargets" => BatchGetDeploymentTargets(input),
                _ => Reply.Fail(400, "UnknownOperationException", $"Operation '{operation}' is not supported by this endpoint."),
            };
        }
        catch (ServiceError error)
        {
            return Reply.Fail(400, error.Type, error.Message);
        }
    }

    private Reply GetApplication(JsonObject input)
    {
        var app = ApplicationFrom(input);
        return Reply.Ok(new JsonObject { ["application"] = ApplicationInfo(app) });
    }

    private Reply CreateApplication(JsonObject input)
    {
        var name = Required(input, "applicationName", "ApplicationNameRequiredException", "The application name was not specified.");
        if (_applications.ContainsKey(name))
        {
            throw new ServiceError("ApplicationAlreadyExistsException", $"An application with the name {name} already exists for this account.");
        }

        var app = new ApplicationState(name, Guid.NewGuid().ToString(), Optional(input, "computePlatform") ?? "Server", Now());
        _applications[name] = app;
        return Reply.Ok(new JsonObject { ["applicationId"] = app.Id });
    }

    private Reply GetDeploymentGroup(JsonObject input)
    {
        var group = GroupFrom(input, "deploymentGroupName");
        return Reply.Ok(new JsonObject { ["deploymentGroupInfo"] = GroupInfo(group) });
    }

    private Reply CreateDeploymentGroup(JsonObject input)
    {
        var app = ApplicationFrom(input);
        var name = Required(input, "deploymentGroupName", "DeploymentGroupNameRequiredException", "The deployment group name was not specified.");
        Required(input, "serviceRoleArn", "RoleRequiredException", "The role ID was not specified.");
        if (_groups.Any(g => g.Application == app.Name && g.Name == name))
        {
            throw new ServiceError("DeploymentGroupAlreadyExistsException", $"A deployment group with the name {name} already exists for the application {app.Name}.");
        }

        var group = new GroupState(app.Name, name, Guid.NewGuid().ToString())
        {
            DeploymentConfig = Optional(input, "deploymentConfigName") ?? "CodeDeployDefault.OneAtATime",
            ComputePlatform = app.ComputePlatform,
            ServiceRoleArn = Optional(input, "serviceRoleArn")!,
            AutoRollback = (JsonObject?)input["autoRollbackConfiguration"]?.DeepClone(),
            Instances = Enumerable.Range(0, 3).Select(i => $"i-0{_groups.Count:x4}{i:x4}00000000").ToList(),
        };
        _groups.Add(group);
        return Reply.Ok(new JsonObject { ["deploymentGroupId"] = group.Id });
    }

    private Reply UpdateDeploymentGroup(JsonObject input)
    {
        var group = GroupFrom(input, "currentDeploymentGroupName");
        if (input["autoRollbackConfiguration"] is JsonObject autoRollback)
        {
            var events = (autoRollback["events"] as JsonArray)?.Select(e => e!.GetValue<string>()).ToList() ?? new List<string>();
            var known = new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST" };
            if (events.Any(e => !known.Contains(e)))
            {
                throw new ServiceError("InvalidAutoRollbackConfigException", "The automatic rollback configuration was specified in an invalid format.");
            }

            group.AutoRollback = (JsonObject)autoRollback.DeepClone();
        }

        if (Optional(input, "deploymentConfigName") is { } config)
        {
            group.DeploymentConfig = config;
        }

        if (Optional(input, "newDeploymentGroupName") is { } newName)
        {
            group.Name = newName;
        }

        return Reply.Ok(new JsonObject { ["hooksNotCleanedUp"] = new JsonArray() });
    }

    private Reply ListDeployments(JsonObject input)
    {
        var appName = Optional(input, "applicationName");
        var groupName = Optional(input, "deploymentGroupName");
        if (groupName is not null && appName is null)
        {
            throw new ServiceError("ApplicationNameRequiredException", "The application name was not specified.");
        }

        if (appName is not null && groupName is null)
        {
            throw new ServiceError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.");
        }

        if (appName is not null)
        {
            GroupFrom(input, "deploymentGroupName");
        }

        var statuses = (input["includeOnlyStatuses"] as JsonArray)?.Select(s => s!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var ids = _deployments
            .Where(d => appName is null || (d.Application == appName && d.Group == groupName))
            .Where(d => statuses is null || statuses.Count == 0 || statuses.Contains(d.Status))
            .OrderByDescending(d => d.Sequence)
            .Select(d => (JsonNode)JsonValue.Create(d.Id)!)
            .ToArray();
        return Reply.Ok(new JsonObject { ["deployments"] = new JsonArray(ids) });
    }

    private Reply GetDeployment(JsonObject input)
    {
        var deployment = DeploymentFrom(input);
        Step(deployment);
        return Reply.Ok(new JsonObject { ["deploymentInfo"] = DeploymentInfo(deployment) });
    }

    private Reply BatchGetDeployments(JsonObject input)
    {
        var ids = (input["deploymentIds"] as JsonArray)?.Select(i => i!.GetValue<string>()).ToList()
            ?? throw new ServiceError("DeploymentIdRequiredException", "At least one deployment ID must be specified.");
        if (ids.Count > 25)
        {
            throw new ServiceError("BatchLimitExceededException", "The maximum number of names or IDs allowed for this request (25) was exceeded.");
        }

        var infos = new JsonArray();
        foreach (var deployment in ids.Select(id => _deployments.FirstOrDefault(d => d.Id == id)).Where(d => d is not null))
        {
            Step(deployment!);
            infos.Add(DeploymentInfo(deployment!));
        }

        return Reply.Ok(new JsonObject { ["deploymentsInfo"] = infos });
    }

    private Reply CreateDeployment(JsonObject input)
    {
        var app = ApplicationFrom(input);
        var group = GroupFrom(input, "deploymentGroupName");
        if (input["revision"] is not JsonObject revision)
        {
            throw new ServiceError("RevisionRequiredException", "The revision ID was not specified.");
        }

        CheckRevisionShape(revision);
        var description = Optional(input, "description") ?? string.Empty;
        if (description.Length > 1024)
        {
            throw new ServiceError("DescriptionTooLongException", "The description is too long.");
        }

        if (revision["revisionType"]?.GetValue<string>() == "S3" && !app.Revisions.Any(r => SameRevision(r.Revision, revision)) && MissingBundles.Contains(BundleKey(revision)))
        {
            throw new ServiceError("RevisionDoesNotExistException", "The named revision does not exist with the IAM user or Amazon Web Services account.");
        }

        var active = _deployments.FirstOrDefault(d => d.Application == group.Application && d.Group == group.Name && d.IsActive);
        if (active is not null)
        {
            throw new ServiceError("DeploymentLimitExceededException", $"The deployment group {group.Name} has an active deployment {active.Id}.");
        }

        var deployment = NewDeployment(group, revision, description, "user", Optional(input, "deploymentConfigName") ?? group.DeploymentConfig,
            (JsonObject?)input["autoRollbackConfiguration"]?.DeepClone());
        deployment.Script = Script;
        return Reply.Ok(new JsonObject { ["deploymentId"] = deployment.Id });
    }

    /// <summary>S3 bundles (bucket/key/version) that no longer exist: CreateDeployment of an unregistered one fails as AWS does.</summary>
    public HashSet<string> MissingBundles { get; } = new(StringComparer.Ordinal);

    private Reply StopDeployment(JsonObject input)
    {
        var deployment = DeploymentFrom(input);
        if (!deployment.IsActive)
        {
            throw new ServiceError("DeploymentAlreadyCompletedException", $"The deployment {deployment.Id} is already completed.");
        }

        deployment.StopRequested = true;
        deployment.StopAutoRollback = input["autoRollbackEnabled"]?.GetValue<bool>() ?? false;
        if (deployment.Status == "Created")
        {
            deployment.Start(Now());
        }

        foreach (var id in deployment.Instances.Keys.ToList())
        {
            if (deployment.Instances[id] is "Pending" or "InProgress")
            {
                deployment.Instances[id] = deployment.Instances[id] == "InProgress" ? "Failed" : "Skipped";
            }
        }

        deployment.Complete("Stopped", Now());
        if (deployment.StopAutoRollback && deployment.PreviousRevision is not null)
        {
            var group = _groups.First(g => g.Application == deployment.Application && g.Name == deployment.Group);
            var rollback = NewDeployment(group, deployment.PreviousRevision, $"Rollback of {deployment.Id}", "codeDeployRollback", deployment.Config, null);
            rollback.Script = DeploymentScript.Succeeds;
            deployment.RollbackDeploymentId = rollback.Id;
            rollback.RollbackTriggeringId = deployment.Id;
        }

        return Reply.Ok(new JsonObject { ["status"] = "Pending", ["statusMessage"] = $"Stopping deployment {deployment.Id}." });
    }

    private Reply GetApplicationRevision(JsonObject input)
    {
        var app = ApplicationFrom(input);
        if (input["revision"] is not JsonObject revision)
        {
            throw new ServiceError("RevisionRequiredException", "The revision ID was not specified.");
        }

        CheckRevisionShape(revision);
        var found = app.Revisions.FirstOrDefault(r => SameRevision(r.Revision, revision))
            ?? throw new ServiceError("RevisionDoesNotExistException", $"No application revision found for revision {revision.ToJsonString()}");
        var groups = _deployments.Where(d => d.Application == app.Name && SameRevision(d.Revision, found.Revision)).Select(d => d.Group).Distinct().ToList();
        var info = new JsonObject
        {
            ["description"] = found.Description,
            ["deploymentGroups"] = new JsonArray(groups.Select(g => (JsonNode)JsonValue.Create(g)!).ToArray()),
            ["registerTime"] = Epoch(found.Registered),
        };
        if (found.FirstUsed is { } first)
        {
            info["firstUsedTime"] = Epoch(first);
            info["lastUsedTime"] = Epoch(found.LastUsed!.Value);
        }

        return Reply.Ok(new JsonObject { ["applicationName"] = app.Name, ["revision"] = found.Revision.DeepClone(), ["revisionInfo"] = info });
    }

    private Reply RegisterApplicationRevision(JsonObject input)
    {
        var app = ApplicationFrom(input);
        if (input["revision"] is not JsonObject revision)
        {
            throw new ServiceError("RevisionRequiredException", "The revision ID was not specified.");
        }

        CheckRevisionShape(revision);
        Register(app, revision, Optional(input, "description") ?? string.Empty, null);
        return Reply.Ok(new JsonObject());
    }

    private Reply ListDeploymentInstances(JsonObject input)
    {
        var deployment = DeploymentFrom(input);
        var filter = (input["instanceStatusFilter"] as JsonArray)?.Select(s => s!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var ids = deployment.Instances.Where(i => filter is null || filter.Count == 0 || filter.Contains(i.Value)).Select(i => (JsonNode)JsonValue.Create(i.Key)!).ToArray();
        return Reply.Ok(new JsonObject { ["instancesList"] = new JsonArray(ids) });
    }

    private Reply ListDeploymentTargets(JsonObject input)
    {
        var deployment = DeploymentFrom(input);
        if (deployment.Status == "Created")
        {
            throw new ServiceError("DeploymentNotStartedException", $"The deployment {deployment.Id} has not started.");
        }

        var filter = (input["targetFilters"] as JsonObject)?["TargetStatus"] is JsonArray statuses
            ? statuses.Select(s => s!.GetValue<string>()).ToHashSet(StringComparer.Ordinal)
            : null;
        var ids = deployment.Instances.Where(i => filter is null || filter.Contains(i.Value)).Select(i => (JsonNode)JsonValue.Create(i.Key)!).ToArray();
        return Reply.Ok(new JsonObject { ["targetIds"] = new JsonArray(ids) });
    }

    private Reply BatchGetDeploymentTargets(JsonObject input)
    {
        var deployment = DeploymentFrom(input);
        var ids = (input["targetIds"] as JsonArray)?.Select(i => i!.GetValue<string>()).ToList()
            ?? throw new ServiceError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.");
        if (ids.Count > 25)
        {
            throw new ServiceError("DeploymentTargetListSizeExceededException", "The maximum number of targets that can be associated with an Amazon ECS or Lambda deployment was exceeded.");
        }

        var targets = new JsonArray();
        foreach (var id in ids)
        {
            if (!deployment.Instances.TryGetValue(id, out var status))
            {
                throw new ServiceError("DeploymentTargetDoesNotExistException", $"The target {id} does not exist in deployment {deployment.Id}.");
            }

            targets.Add(new JsonObject
            {
                ["deploymentTargetType"] = "InstanceTarget",
                ["instanceTarget"] = new JsonObject
                {
                    ["deploymentId"] = deployment.Id,
                    ["targetId"] = id,
                    ["targetArn"] = $"arn:aws:ec2:{Region}:{AccountId}:instance/{id}",
                    ["status"] = status,
                    ["lastUpdatedAt"] = Epoch(deployment.Updated),
                    ["lifecycleEvents"] = new JsonArray(),
                },
            });
        }

        return Reply.Ok(new JsonObject { ["deploymentTargets"] = targets });
    }

    // ---- Lifecycle --------------------------------------------------------------------------------------------------

    private DeploymentState NewDeployment(GroupState group, JsonObject revision, string description, string creator, string config, JsonObject? autoRollback)
    {
        var app = RequireApplication(group.Application);
        var previous = _deployments.LastOrDefault(d => d.Application == group.Application && d.Group == group.Name && d.Status == "Succeeded");
        var deployment = new DeploymentState("d-" + RandomId(), group.Application, group.Name, (JsonObject)revision.DeepClone(), ++_sequence, Now())
        {
            Description = description,
            Creator = creator,
            Config = config,
            AutoRollback = autoRollback ?? (JsonObject?)group.AutoRollback?.DeepClone(),
            PreviousRevision = (JsonObject?)previous?.Revision.DeepClone(),
        };
        foreach (var instance in group.Instances)
        {
            deployment.Instances[instance] = "Pending";
        }

        _deployments.Add(deployment);
        Register(app, revision, string.Empty, deployment.Created);
        return deployment;
    }

    private static void Register(ApplicationState app, JsonObject revision, string description, DateTimeOffset? used)
    {
        var existing = app.Revisions.FirstOrDefault(r => SameRevision(r.Revision, revision));
        if (existing is null)
        {
            existing = new RevisionState((JsonObject)revision.DeepClone(), description, used ?? Now());
            app.Revisions.Add(existing);
        }

        if (used is { } time)
        {
            existing.FirstUsed ??= time;
            existing.LastUsed = time;
        }
    }

    /// <summary>One step of the deployment's script: a client's read moves it on, so tests never wait on a clock.</summary>
    private static void Step(DeploymentState d)
    {
        if (!d.IsActive)
        {
            return;
        }

        var now = Now();
        if (d.Status == "Created")
        {
            d.Start(now);
            return;
        }

        var running = d.Instances.FirstOrDefault(i => i.Value == "InProgress").Key;
        if (running is not null)
        {
            if (d.Script.Outcome == ScriptOutcome.Hangs)
            {
                return;
            }

            var index = d.Instances.Keys.ToList().IndexOf(running);
            if (d.Script.Outcome == ScriptOutcome.Fails && index == d.Script.FailingInstance)
            {
                d.Instances[running] = "Failed";
                foreach (var id in d.Instances.Keys.Where(k => d.Instances[k] == "Pending").ToList())
                {
                    d.Instances[id] = "Skipped";
                }

                d.Error = ("HEALTH_CONSTRAINTS", "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.");
                d.Complete("Failed", now);
                return;
            }

            d.Instances[running] = "Succeeded";
            d.Updated = now;
            return;
        }

        var next = d.Instances.FirstOrDefault(i => i.Value == "Pending").Key;
        if (next is not null)
        {
            d.Instances[next] = "InProgress";
            d.Updated = now;
            return;
        }

        d.Complete("Succeeded", now);
    }

    private static void CheckRevisionShape(JsonObject revision)
    {
        var type = revision["revisionType"]?.GetValue<string>();
        var ok = type switch
        {
            "S3" => revision["s3Location"] is JsonObject s3 && s3["bucket"] is not null && s3["key"] is not null && s3["bundleType"] is not null,
            "GitHub" => revision["gitHubLocation"] is JsonObject gh && gh["repository"] is not null && gh["commitId"] is not null,
            "AppSpecContent" => revision["appSpecContent"] is JsonObject spec && spec["content"] is not null,
            "String" => revision["string"] is JsonObject raw && raw["content"] is not null,
            _ => false,
        };
        if (!ok)
        {
            throw new ServiceError("InvalidRevisionException", "The revision was specified in an invalid format.");
        }
    }

    /// <summary>Two revision locations name the same revision: same type and location (S3 version and ETag compared when both give them).</summary>
    private static bool SameRevision(JsonObject a, JsonObject b)
    {
        var type = a["revisionType"]?.GetValue<string>();
        if (type != b["revisionType"]?.GetValue<string>())
        {
            return false;
        }

        string? Field(JsonObject r, string location, string name) => (r[location] as JsonObject)?[name]?.GetValue<string>();
        bool Both(string location, string name) =>
            Field(a, location, name) is not { } x || Field(b, location, name) is not { } y || x == y;
        return type switch
        {
            "S3" => Field(a, "s3Location", "bucket") == Field(b, "s3Location", "bucket") && Field(a, "s3Location", "key") == Field(b, "s3Location", "key") &&
                    Field(a, "s3Location", "bundleType") == Field(b, "s3Location", "bundleType") && Both("s3Location", "version") && Both("s3Location", "eTag"),
            "GitHub" => Field(a, "gitHubLocation", "repository") == Field(b, "gitHubLocation", "repository") && Field(a, "gitHubLocation", "commitId") == Field(b, "gitHubLocation", "commitId"),
            "AppSpecContent" => Field(a, "appSpecContent", "content") == Field(b, "appSpecContent", "content"),
            "String" => Field(a, "string", "content") == Field(b, "string", "content"),
            _ => false,
        };
    }

    /// <summary>bucket/key#version of an S3 revision, the key of <see cref="MissingBundles"/>.</summary>
    public static string BundleKey(JsonObject revision)
    {
        var s3 = revision["s3Location"] as JsonObject;
        return $"{s3?["bucket"]?.GetValue<string>()}/{s3?["key"]?.GetValue<string>()}#{s3?["version"]?.GetValue<string>()}";
    }

    // ---- Shapes -----------------------------------------------------------------------------------------------------

    private static JsonObject ApplicationInfo(ApplicationState app) => new()
    {
        ["applicationId"] = app.Id,
        ["applicationName"] = app.Name,
        ["createTime"] = Epoch(app.Created),
        ["linkedToGitHub"] = false,
        ["computePlatform"] = app.ComputePlatform,
    };

    private JsonObject GroupInfo(GroupState group)
    {
        var info = new JsonObject
        {
            ["applicationName"] = group.Application,
            ["deploymentGroupId"] = group.Id,
            ["deploymentGroupName"] = group.Name,
            ["deploymentConfigName"] = group.DeploymentConfig,
            ["ec2TagFilters"] = new JsonArray(new JsonObject { ["Key"] = "DeploymentGroup", ["Value"] = group.Name, ["Type"] = "KEY_AND_VALUE" }),
            ["onPremisesInstanceTagFilters"] = new JsonArray(),
            ["autoScalingGroups"] = new JsonArray(),
            ["serviceRoleArn"] = group.ServiceRoleArn,
            ["triggerConfigurations"] = new JsonArray(),
            ["alarmConfiguration"] = new JsonObject { ["enabled"] = false, ["ignorePollAlarmFailure"] = false, ["alarms"] = new JsonArray() },
            ["autoRollbackConfiguration"] = group.AutoRollback?.DeepClone() ?? new JsonObject { ["enabled"] = false, ["events"] = new JsonArray() },
            ["deploymentStyle"] = new JsonObject { ["deploymentType"] = "IN_PLACE", ["deploymentOption"] = "WITHOUT_TRAFFIC_CONTROL" },
            ["outdatedInstancesStrategy"] = "UPDATE",
            ["computePlatform"] = group.ComputePlatform,
            ["terminationHookEnabled"] = false,
        };
        var mine = _deployments.Where(d => d.Application == group.Application && d.Group == group.Name).ToList();
        var lastAttempted = mine.LastOrDefault();
        var lastSucceeded = mine.LastOrDefault(d => d.Status == "Succeeded");
        if (lastAttempted is not null)
        {
            info["lastAttemptedDeployment"] = LastDeploymentInfo(lastAttempted);
            info["targetRevision"] = lastAttempted.Revision.DeepClone();
        }

        if (lastSucceeded is not null)
        {
            info["lastSuccessfulDeployment"] = LastDeploymentInfo(lastSucceeded);
        }

        return info;
    }

    private static JsonObject LastDeploymentInfo(DeploymentState d)
    {
        var info = new JsonObject { ["deploymentId"] = d.Id, ["status"] = d.Status, ["createTime"] = Epoch(d.Created) };
        if (d.Completed is { } end)
        {
            info["endTime"] = Epoch(end);
        }

        return info;
    }

    private static JsonObject DeploymentInfo(DeploymentState d)
    {
        var counts = new[] { "Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready" }
            .ToDictionary(s => s, s => d.Instances.Values.Count(v => v == s));
        var info = new JsonObject
        {
            ["applicationName"] = d.Application,
            ["deploymentGroupName"] = d.Group,
            ["deploymentConfigName"] = d.Config,
            ["deploymentId"] = d.Id,
            ["revision"] = d.Revision.DeepClone(),
            ["status"] = d.Status,
            ["createTime"] = Epoch(d.Created),
            ["deploymentOverview"] = new JsonObject
            {
                ["Pending"] = counts["Pending"],
                ["InProgress"] = counts["InProgress"],
                ["Succeeded"] = counts["Succeeded"],
                ["Failed"] = counts["Failed"],
                ["Skipped"] = counts["Skipped"],
                ["Ready"] = counts["Ready"],
            },
            ["description"] = d.Description,
            ["creator"] = d.Creator,
            ["ignoreApplicationStopFailures"] = false,
            ["updateOutdatedInstancesOnly"] = false,
            ["deploymentStyle"] = new JsonObject { ["deploymentType"] = "IN_PLACE", ["deploymentOption"] = "WITHOUT_TRAFFIC_CONTROL" },
            ["instanceTerminationWaitTimeStarted"] = false,
            ["fileExistsBehavior"] = "DISALLOW",
            ["deploymentStatusMessages"] = new JsonArray(),
            ["computePlatform"] = "Server",
        };
        if (d.PreviousRevision is not null)
        {
            info["previousRevision"] = d.PreviousRevision.DeepClone();
        }

        if (d.AutoRollback is not null)
        {
            info["autoRollbackConfiguration"] = d.AutoRollback.DeepClone();
        }

        if (d.Started is { } start)
        {
            info["startTime"] = Epoch(start);
        }

        if (d.Completed is { } end)
        {
            info["completeTime"] = Epoch(end);
        }

        if (d.Error is { } error)
        {
            info["errorInformation"] = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        }

        if (d.RollbackDeploymentId is not null || d.RollbackTriggeringId is not null)
        {
            var rollback = new JsonObject();
            if (d.RollbackDeploymentId is not null)
            {
                rollback["rollbackDeploymentId"] = d.RollbackDeploymentId;
                rollback["rollbackMessage"] = $"Deployment {d.Id} was stopped; rolled back by {d.RollbackDeploymentId}.";
            }

            if (d.RollbackTriggeringId is not null)
            {
                rollback["rollbackTriggeringDeploymentId"] = d.RollbackTriggeringId;
            }

            info["rollbackInfo"] = rollback;
        }

        return info;
    }

    private static JsonObject AutoRollback(bool enabled, IEnumerable<string> events) =>
        new() { ["enabled"] = enabled, ["events"] = new JsonArray(events.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()) };

    // ---- Lookups ----------------------------------------------------------------------------------------------------

    private ApplicationState ApplicationFrom(JsonObject input)
    {
        var name = Required(input, "applicationName", "ApplicationNameRequiredException", "The application name was not specified.");
        return _applications.TryGetValue(name, out var app)
            ? app
            : throw new ServiceError("ApplicationDoesNotExistException", $"No application found for name: {name}");
    }

    private GroupState GroupFrom(JsonObject input, string member)
    {
        var app = ApplicationFrom(input);
        var name = Required(input, member, "DeploymentGroupNameRequiredException", "The deployment group name was not specified.");
        return _groups.FirstOrDefault(g => g.Application == app.Name && g.Name == name)
            ?? throw new ServiceError("DeploymentGroupDoesNotExistException", $"No Deployment Group found for name: {name}");
    }

    private DeploymentState DeploymentFrom(JsonObject input)
    {
        var id = Required(input, "deploymentId", "DeploymentIdRequiredException", "At least one deployment ID must be specified.");
        return _deployments.FirstOrDefault(d => d.Id == id)
            ?? throw new ServiceError("DeploymentDoesNotExistException", $"The deployment {id} could not be found.");
    }

    private ApplicationState RequireApplication(string name) =>
        _applications.TryGetValue(name, out var app) ? app : throw new InvalidOperationException($"The test never added application '{name}'.");

    private GroupState RequireGroup(string application, string group) =>
        _groups.FirstOrDefault(g => g.Application == application && g.Name == group) ?? throw new InvalidOperationException($"The test never added group '{application}/{group}'.");

    private DeploymentState RequireDeployment(string id) =>
        _deployments.FirstOrDefault(d => d.Id == id) ?? throw new InvalidOperationException($"No deployment '{id}'.");

    private static string Required(JsonObject input, string member, string errorType, string message) =>
        Optional(input, member) is { Length: > 0 } value ? value : throw new ServiceError(errorType, message);

    private static string? Optional(JsonObject input, string member) =>
        input[member] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static DateTimeOffset Now() => DateTimeOffset.UtcNow;

    private static JsonValue Epoch(DateTimeOffset time) => JsonValue.Create(Math.Round(time.ToUnixTimeMilliseconds() / 1000.0, 3));

    private static string RandomId()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return new string(Enumerable.Range(0, 9).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray());
    }

    private sealed class ServiceError : Exception
    {
        public ServiceError(string type, string message)
            : base(message)
        {
            Type = type;
        }

        public string Type { get; }
    }

    private sealed record Reply(int Status, JsonObject Body, string? ErrorType)
    {
        public static Reply Ok(JsonObject body) => new(200, body, null);

        public static Reply Fail(int status, string type, string message) => new(status, Error(type, message), type);
    }

    private sealed class FaultRule
    {
        public FaultRule(EndpointFault fault, string? operation, int remaining)
        {
            Fault = fault;
            Operation = operation;
            Remaining = remaining;
        }

        public EndpointFault Fault { get; }

        public string? Operation { get; }

        public int Remaining { get; set; }
    }

    private sealed record ApplicationState(string Name, string Id, string ComputePlatform, DateTimeOffset Created)
    {
        public List<RevisionState> Revisions { get; } = new();
    }

    private sealed class RevisionState
    {
        public RevisionState(JsonObject revision, string description, DateTimeOffset registered)
        {
            Revision = revision;
            Description = description;
            Registered = registered;
        }

        public JsonObject Revision { get; }

        public string Description { get; }

        public DateTimeOffset Registered { get; }

        public DateTimeOffset? FirstUsed { get; set; }

        public DateTimeOffset? LastUsed { get; set; }
    }

    private sealed class GroupState
    {
        public GroupState(string application, string name, string id)
        {
            Application = application;
            Name = name;
            Id = id;
        }

        public string Application { get; }

        public string Name { get; set; }

        public string Id { get; }

        public string DeploymentConfig { get; set; } = "CodeDeployDefault.OneAtATime";

        public string ComputePlatform { get; init; } = "Server";

        public string ServiceRoleArn { get; init; } = string.Empty;

        public JsonObject? AutoRollback { get; set; }

        public List<string> Instances { get; init; } = new();
    }

    private sealed class DeploymentState
    {
        public DeploymentState(string id, string application, string group, JsonObject revision, int sequence, DateTimeOffset created)
        {
            Id = id;
            Application = application;
            Group = group;
            Revision = revision;
            Sequence = sequence;
            Created = created;
            Updated = created;
        }

        public string Id { get; }

        public string Application { get; }

        public string Group { get; }

        public JsonObject Revision { get; }

        public int Sequence { get; }

        public DateTimeOffset Created { get; }

        public DateTimeOffset Updated { get; set; }

        public DateTimeOffset? Started { get; private set; }

        public DateTimeOffset? Completed { get; private set; }

        public string Status { get; private set; } = "Created";

        public string Description { get; init; } = string.Empty;

        public string Creator { get; init; } = "user";

        public string Config { get; init; } = string.Empty;

        public JsonObject? AutoRollback { get; init; }

        public JsonObject? PreviousRevision { get; init; }

        public DeploymentScript Script { get; set; } = DeploymentScript.Succeeds;

        /// <summary>Instance id → status, in deployment order.</summary>
        public Dictionary<string, string> Instances { get; } = new(StringComparer.Ordinal);

        public (string Code, string Message)? Error { get; set; }

        public bool StopRequested { get; set; }

        public bool StopAutoRollback { get; set; }

        public string? RollbackDeploymentId { get; set; }

        public string? RollbackTriggeringId { get; set; }

        public bool IsActive => Status is "Created" or "Queued" or "InProgress" or "Baking" or "Ready";

        public void Start(DateTimeOffset now)
        {
            Status = "InProgress";
            Started = now;
            Updated = now;
        }

        public void Complete(string status, DateTimeOffset now)
        {
            Status = status;
            Completed = now;
            Updated = now;
        }
    }
}

/// <summary>How a deployment created through the API runs as it is read.</summary>
public enum ScriptOutcome
{
    Succeeds,
    Fails,
    Hangs,
}

/// <summary>A deployment's script: succeed on every instance, fail on one (the rest are skipped), or hang in progress until stopped.</summary>
public sealed record DeploymentScript(ScriptOutcome Outcome, int FailingInstance = -1)
{
    public static DeploymentScript Succeeds { get; } = new(ScriptOutcome.Succeeds);

    public static DeploymentScript Hangs { get; } = new(ScriptOutcome.Hangs);

    public static DeploymentScript FailsOnInstance(int index) => new(ScriptOutcome.Fails, index);
}

/// <summary>One request the endpoint received: its operation, input, the HTTP status answered and the AWS error type if any.</summary>
public sealed record CodeDeployCall(string Operation, JsonObject? Input, int Status, string? ErrorType, bool SignatureValid);

/// <summary>What a test can read of a deployment.</summary>
public sealed record DeploymentView(string Id, string Application, string Group, string Status, string Description, JsonObject Revision, string Creator,
    IReadOnlyDictionary<string, string> Instances, bool StopRequested, bool StopAutoRollback, string? RollbackDeploymentId);

/// <summary>An injected answer: an AWS error (status, __type, message) or no answer at all.</summary>
public sealed record EndpointFault(int Status, string ErrorType, string Message, bool NoAnswer = false)
{
    public static EndpointFault ApplicationDoesNotExist(string name) => new(400, "ApplicationDoesNotExistException", $"No application found for name: {name}");

    public static EndpointFault DeploymentGroupDoesNotExist(string name) => new(400, "DeploymentGroupDoesNotExistException", $"No Deployment Group found for name: {name}");

    public static EndpointFault AccessDenied { get; } = new(400, "AccessDeniedException",
        $"User: arn:aws:iam::{CodeDeployEndpoint.AccountId}:user/rollback-test is not authorized to perform this operation because no identity-based policy allows it");

    public static EndpointFault Throttling { get; } = new(400, "ThrottlingException", "Rate exceeded");

    public static EndpointFault InternalFailure { get; } = new(500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.");

    public static EndpointFault ServiceUnavailable { get; } = new(503, "ServiceUnavailable", "The service is unavailable. Please try again later.");

    public static EndpointFault ExpiredToken { get; } = new(403, "ExpiredTokenException", "The security token included in the request is expired");

    public static EndpointFault NoAnswerAtAll { get; } = new(0, "NoAnswer", "The endpoint holds the connection and never answers.", NoAnswer: true);
}
