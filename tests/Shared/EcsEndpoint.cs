using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A loopback Amazon ECS endpoint (HttpListener on 127.0.0.1, a free port) for the deployment lifecycle moto lacks:
/// moto 5.2.1 keeps a service's first deployment IN_PROGRESS forever, starts no new deployment on UpdateService, and
/// drops the deployment configuration (circuit breaker included). This one speaks the published service model for the
/// operations a rollback reads and sends (awsJson1_1, X-Amz-Target AmazonEC2ContainerServiceV20141113.&lt;Operation&gt;,
/// camelCase members, epoch-second timestamps, errors as {"__type","message"}): DescribeServices, DescribeTaskDefinition
/// and UpdateService. UpdateService to another task definition starts a PRIMARY deployment IN_PROGRESS and makes the
/// old one ACTIVE; each DescribeServices then moves one task from the old deployment to the new one, until the new one
/// is COMPLETED with every task running and the old one is gone; or, with <see cref="FailNextRollout"/>, the new
/// deployment ends FAILED. Every request's SigV4 signature is verified with the test credentials (refused ones are in
/// <see cref="Rejections"/>); faults are injected per operation. Uses no Rollback type.
/// </summary>
public sealed class EcsEndpoint : LoopbackHttpServer
{
    public const string Region = "us-east-1";
    public const string AccountId = "123456789012";
    public const string TargetPrefix = "AmazonEC2ContainerServiceV20141113.";
    public const string ContentType = "application/x-amz-json-1.1";

    private readonly object _gate = new();
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly ConcurrentQueue<SignatureFault> _rejections = new();
    private readonly Dictionary<string, TaskDefinitionState> _taskDefinitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceState> _services = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly Queue<(string Operation, int Status, string Type, string Message)> _faults = new();
    private int _sequence;

    public EcsEndpoint()
    {
        Verifier = new SigV4Verifier(AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, Region, "ecs");
    }

    public SigV4Verifier Verifier { get; }

    /// <summary>The next deployment UpdateService starts fails after two reads (its tasks stop as they start).</summary>
    public bool FailNextRollout { get; set; }

    /// <summary>Every operation answered (refused ones included), in arrival order.</summary>
    public IReadOnlyList<string> Calls => _calls.ToList();

    public IReadOnlyList<SignatureFault> Rejections => _rejections.ToList();

    public int Count(string operation) => _calls.Count(c => c == operation);

    /// <summary>The next request of <paramref name="operation"/> is answered with this AWS error instead.</summary>
    public void Fail(string operation, int status, string errorType, string message)
    {
        lock (_gate)
        {
            _faults.Enqueue((operation, status, errorType, message));
        }
    }

    // ---- State the test sets up directly (no HTTP) -------------------------------------------------------------------

    public void AddCluster(string name)
    {
        lock (_gate)
        {
            _clusters.Add(name);
        }
    }

    /// <summary>Registers the next revision of <paramref name="family"/>; returns its ARN.</summary>
    public string RegisterTaskDefinition(string family)
    {
        lock (_gate)
        {
            var revision = _taskDefinitions.Values.Count(t => t.Family == family) + 1;
            var arn = $"arn:aws:ecs:{Region}:{AccountId}:task-definition/{family}:{revision}";
            _taskDefinitions[arn] = new TaskDefinitionState(arn, family, revision) { Status = "ACTIVE" };
            return arn;
        }
    }

    public void DeregisterTaskDefinition(string arn)
    {
        lock (_gate)
        {
            _taskDefinitions[arn].Status = "INACTIVE";
        }
    }

    /// <summary>A service steady on <paramref name="taskDefinition"/> (one COMPLETED deployment, every task running).</summary>
    public void AddService(string cluster, string name, string taskDefinition, int desiredCount, bool circuitBreaker, bool rollback)
    {
        lock (_gate)
        {
            var service = new ServiceState(cluster, name) { TaskDefinition = taskDefinition, DesiredCount = desiredCount, Breaker = circuitBreaker, BreakerRollback = rollback };
            service.Deployments.Add(new DeploymentState(NextId(), taskDefinition, desiredCount) { Status = "PRIMARY", RolloutState = "COMPLETED", Running = desiredCount });
            _services[Key(cluster, name)] = service;
        }
    }

    /// <summary>What a deploy pipeline does: a new deployment of <paramref name="taskDefinition"/>, finished at once (steady).</summary>
    public void Deploy(string cluster, string name, string taskDefinition)
    {
        lock (_gate)
        {
            var service = _services[Key(cluster, name)];
            service.TaskDefinition = taskDefinition;
            service.Deployments.Clear();
            service.Deployments.Add(new DeploymentState(NextId(), taskDefinition, service.DesiredCount) { Status = "PRIMARY", RolloutState = "COMPLETED", Running = service.DesiredCount });
        }
    }

    /// <summary>A deployment started <paramref name="age"/> ago that never finishes (tasks that never start).</summary>
    public void StartStuckDeployment(string cluster, string name, string taskDefinition, TimeSpan age)
    {
        lock (_gate)
        {
            var service = _services[Key(cluster, name)];
            foreach (var old in service.Deployments)
            {
                old.Status = "ACTIVE";
            }

            service.TaskDefinition = taskDefinition;
            service.Deployments.Insert(0, new DeploymentState(NextId(), taskDefinition, service.DesiredCount)
            {
                Status = "PRIMARY", RolloutState = "IN_PROGRESS", Stuck = true, CreatedAt = DateTimeOffset.UtcNow - age, UpdatedAt = DateTimeOffset.UtcNow - age,
            });
        }
    }

    public string TaskDefinitionOf(string cluster, string name)
    {
        lock (_gate)
        {
            return _services[Key(cluster, name)].TaskDefinition;
        }
    }

    // ---- The wire --------------------------------------------------------------------------------------------------

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var headers = HeadersOf(context.Request);
        var target = headers.TryGetValue("X-Amz-Target", out var t) ? t : string.Empty;
        var operation = target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target.Substring(TargetPrefix.Length) : target;
        _calls.Enqueue(operation);

        var signatureFault = Verifier.Verify(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body);
        if (signatureFault is not null)
        {
            _rejections.Enqueue(signatureFault);
            await Write(context, 403, Error(signatureFault.ErrorType, signatureFault.Message), signatureFault.ErrorType).ConfigureAwait(false);
            return;
        }

        JsonObject input;
        try
        {
            input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            await Write(context, 400, Error("SerializationException", "Start of structure or map found where not expected."), "SerializationException").ConfigureAwait(false);
            return;
        }

        (int Status, JsonObject Body, string? Type) reply;
        lock (_gate)
        {
            if (_faults.Count > 0 && _faults.Peek().Operation == operation)
            {
                var fault = _faults.Dequeue();
                reply = (fault.Status, Error(fault.Type, fault.Message), fault.Type);
            }
            else
            {
                reply = operation switch
                {
                    "DescribeServices" => DescribeServices(input),
                    "DescribeTaskDefinition" => DescribeTaskDefinition(input),
                    "UpdateService" => UpdateService(input),
                    _ => (400, Error("UnknownOperationException", $"Operation {operation} is not served by this test endpoint."), "UnknownOperationException"),
                };
            }
        }

        await Write(context, reply.Status, reply.Body, reply.Type).ConfigureAwait(false);
    }

    private (int, JsonObject, string?) DescribeServices(JsonObject input)
    {
        var cluster = ClusterName(input["cluster"]?.GetValue<string>());
        if (!_clusters.Contains(cluster))
        {
            return (400, Error("ClusterNotFoundException", "Cluster not found."), "ClusterNotFoundException");
        }

        var services = new JsonArray();
        var failures = new JsonArray();
        foreach (var name in input["services"]?.AsArray().Select(n => n!.GetValue<string>()) ?? Enumerable.Empty<string>())
        {
            if (_services.TryGetValue(Key(cluster, ServiceName(name)), out var service))
            {
                Advance(service);
                services.Add(ToJson(service));
            }
            else
            {
                failures.Add(new JsonObject { ["arn"] = $"arn:aws:ecs:{Region}:{AccountId}:service/{cluster}/{ServiceName(name)}", ["reason"] = "MISSING" });
            }
        }

        return (200, new JsonObject { ["services"] = services, ["failures"] = failures }, null);
    }

    private (int, JsonObject, string?) DescribeTaskDefinition(JsonObject input)
    {
        var wanted = input["taskDefinition"]?.GetValue<string>() ?? string.Empty;
        var found = _taskDefinitions.Values.FirstOrDefault(d => d.Arn == wanted || $"{d.Family}:{d.Revision}" == wanted);
        if (found is null)
        {
            return (400, Error("ClientException", "Unable to describe task definition."), "ClientException");
        }

        return (200, new JsonObject
        {
            ["taskDefinition"] = new JsonObject { ["taskDefinitionArn"] = found.Arn, ["family"] = found.Family, ["revision"] = found.Revision, ["status"] = found.Status },
        }, null);
    }

    private (int, JsonObject, string?) UpdateService(JsonObject input)
    {
        var cluster = ClusterName(input["cluster"]?.GetValue<string>());
        if (!_clusters.Contains(cluster))
        {
            return (400, Error("ClusterNotFoundException", "Cluster not found."), "ClusterNotFoundException");
        }

        if (!_services.TryGetValue(Key(cluster, ServiceName(input["service"]?.GetValue<string>() ?? string.Empty)), out var service))
        {
            return (400, Error("ServiceNotFoundException", "Service not found."), "ServiceNotFoundException");
        }

        if (input["desiredCount"] is { } count)
        {
            service.DesiredCount = count.GetValue<int>();
        }

        if (input["deploymentConfiguration"]?["deploymentCircuitBreaker"] is JsonObject breaker)
        {
            service.Breaker = breaker["enable"]?.GetValue<bool>() == true;
            service.BreakerRollback = breaker["rollback"]?.GetValue<bool>() == true;
        }

        if (input["taskDefinition"]?.GetValue<string>() is { } wanted)
        {
            var definition = _taskDefinitions.Values.FirstOrDefault(d => d.Arn == wanted || $"{d.Family}:{d.Revision}" == wanted);
            if (definition is null || definition.Status != "ACTIVE")
            {
                return (400, Error("InvalidParameterException", $"TaskDefinition is inactive or does not exist: {wanted}"), "InvalidParameterException");
            }

            foreach (var old in service.Deployments)
            {
                old.Status = "ACTIVE";
                old.Stuck = false;
            }

            service.TaskDefinition = definition.Arn;
            service.Deployments.Insert(0, new DeploymentState(NextId(), definition.Arn, service.DesiredCount)
            {
                Status = "PRIMARY", RolloutState = "IN_PROGRESS", Fails = FailNextRollout,
            });
            FailNextRollout = false;
        }

        return (200, new JsonObject { ["service"] = ToJson(service) }, null);
    }

    /// <summary>One step of every deployment in progress, per read: a task started on the new one, one stopped on the old.</summary>
    private static void Advance(ServiceState service)
    {
        var primary = service.Deployments.FirstOrDefault(d => d.Status == "PRIMARY");
        if (primary is null || primary.RolloutState != "IN_PROGRESS" || primary.Stuck)
        {
            return;
        }

        primary.UpdatedAt = DateTimeOffset.UtcNow;
        if (primary.Fails)
        {
            primary.Failed++;
            if (primary.Failed >= 2)
            {
                primary.RolloutState = "FAILED";
                primary.Reason = "ECS deployment circuit breaker: tasks failed to start.";
            }

            return;
        }

        if (primary.Running < primary.Desired)
        {
            primary.Running++;
        }

        var old = service.Deployments.FirstOrDefault(d => d.Status == "ACTIVE");
        if (old is not null)
        {
            old.Running = Math.Max(0, old.Running - 1);
            if (old.Running == 0)
            {
                service.Deployments.Remove(old);
            }
        }

        if (primary.Running >= primary.Desired && service.Deployments.Count == 1)
        {
            primary.RolloutState = "COMPLETED";
            primary.Reason = $"ECS deployment {primary.Id} completed.";
        }
    }

    private static JsonObject ToJson(ServiceState service) => new()
    {
        ["serviceArn"] = $"arn:aws:ecs:{Region}:{AccountId}:service/{service.Cluster}/{service.Name}",
        ["serviceName"] = service.Name,
        ["clusterArn"] = $"arn:aws:ecs:{Region}:{AccountId}:cluster/{service.Cluster}",
        ["status"] = "ACTIVE",
        ["desiredCount"] = service.DesiredCount,
        ["runningCount"] = service.Deployments.Sum(d => d.Running),
        ["pendingCount"] = 0,
        ["launchType"] = "FARGATE",
        ["taskDefinition"] = service.TaskDefinition,
        ["deploymentConfiguration"] = new JsonObject
        {
            ["maximumPercent"] = 200,
            ["minimumHealthyPercent"] = 100,
            ["deploymentCircuitBreaker"] = new JsonObject { ["enable"] = service.Breaker, ["rollback"] = service.BreakerRollback },
        },
        ["deployments"] = new JsonArray(service.Deployments.Select(d => (JsonNode)new JsonObject
        {
            ["id"] = d.Id,
            ["status"] = d.Status,
            ["taskDefinition"] = d.TaskDefinition,
            ["desiredCount"] = d.Desired,
            ["pendingCount"] = d.RolloutState == "IN_PROGRESS" ? d.Desired - d.Running : 0,
            ["runningCount"] = d.Running,
            ["failedTasks"] = d.Failed,
            ["createdAt"] = d.CreatedAt.ToUnixTimeMilliseconds() / 1000.0,
            ["updatedAt"] = d.UpdatedAt.ToUnixTimeMilliseconds() / 1000.0,
            ["launchType"] = "FARGATE",
            ["rolloutState"] = d.RolloutState,
            ["rolloutStateReason"] = d.Reason ?? $"ECS deployment {d.Id} in progress.",
        }).ToArray()),
        ["schedulingStrategy"] = "REPLICA",
        ["deploymentController"] = new JsonObject { ["type"] = "ECS" },
    };

    private Task Write(HttpListenerContext context, int status, JsonObject body, string? errorType)
    {
        context.Response.Headers["Date"] = Verifier.Clock().UtcDateTime.ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        if (errorType is not null)
        {
            context.Response.Headers["x-amzn-ErrorType"] = errorType;
        }

        return RespondAsync(context, status, ContentType, body.ToJsonString());
    }

    private static JsonObject Error(string type, string message) => new() { ["__type"] = type, ["message"] = message };

    private static string ClusterName(string? value) => string.IsNullOrEmpty(value) ? "default" : value!.Substring(value.LastIndexOf('/') + 1);

    private static string ServiceName(string value) => value.Substring(value.LastIndexOf('/') + 1);

    private static string Key(string cluster, string service) => cluster + "/" + service;

    private string NextId() => "ecs-svc/" + (4000000000000000000L + ++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class TaskDefinitionState(string arn, string family, int revision)
    {
        public string Arn { get; } = arn;

        public string Family { get; } = family;

        public int Revision { get; } = revision;

        public string Status { get; set; } = "ACTIVE";
    }

    private sealed class ServiceState(string cluster, string name)
    {
        public string Cluster { get; } = cluster;

        public string Name { get; } = name;

        public string TaskDefinition { get; set; } = string.Empty;

        public int DesiredCount { get; set; }

        public bool Breaker { get; set; }

        public bool BreakerRollback { get; set; }

        public List<DeploymentState> Deployments { get; } = new();
    }

    private sealed class DeploymentState(string id, string taskDefinition, int desired)
    {
        public string Id { get; } = id;

        public string TaskDefinition { get; } = taskDefinition;

        public int Desired { get; } = desired;

        public string Status { get; set; } = "PRIMARY";

        public string RolloutState { get; set; } = "IN_PROGRESS";

        public string? Reason { get; set; }

        public int Running { get; set; }

        public int Failed { get; set; }

        public bool Fails { get; init; }

        public bool Stuck { get; set; }

        public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

        public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
    }
}
