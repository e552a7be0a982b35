using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Rollback.Testing;

/// <summary>
/// A real Unleash server (the open-source <c>unleash-server</c> from npm, <see cref="Version"/>, run by this machine's
/// Node) on 127.0.0.1, with its database on a real PostgreSQL (<see cref="PostgreSqlServer"/>: the test run's own, or
/// one this fixture starts and stops). .ci/run installs the package into a per-user cache folder
/// (<see cref="InstallFolder"/>, or where ROLLBACK_UNLEASH_HOME says); where it is not installed, or Node or PostgreSQL
/// is missing, <see cref="SkipReason"/> says why and the tests skip. The server gets a random admin token and a random
/// client token for production at its first start (INIT_*_API_TOKENS), and is stopped on Dispose by the PID this fixture
/// started (with everything it started), failures included; its database is dropped. Linked source; it uses no Rollback type.
/// </summary>
public sealed class UnleashServer : IDisposable
{
    /// <summary>The version .ci/run installs (6.x runs on Node 20; 7 and later want Node 22).</summary>
    public const string Version = "6.10.1";

    /// <summary>Overrides <see cref="InstallFolder"/>: a folder holding node_modules/unleash-server.</summary>
    public const string HomeVariable = "ROLLBACK_UNLEASH_HOME";

    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(180);
    private readonly PostgreSqlServer? _ownPostgres;
    private readonly PostgreSqlServer? _postgres;
    private readonly LoopbackProcess? _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string? _database;

    /// <summary>Starts an Unleash server with a PostgreSQL server of its own (for a test assembly that has none).</summary>
    public UnleashServer()
        : this(null)
    {
    }

    private UnleashServer(PostgreSqlServer? postgres)
    {
        AdminToken = "*:*." + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        ClientToken = "*:production." + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var script = Path.Combine(InstallFolder, "node_modules", "unleash-server", "dist", "server.js");
        var node = LoopbackProcess.FindOnPath("node");
        if (!File.Exists(script))
        {
            SkipReason = $"unleash-server {Version} is not installed in {InstallFolder} (.ci/run installs it with npm; or set {HomeVariable}).";
            return;
        }

        if (node is null)
        {
            SkipReason = "Node.js is not installed (no 'node' on PATH): unleash-server needs it.";
            return;
        }

        _postgres = postgres ?? (_ownPostgres = new PostgreSqlServer());
        if (_postgres.SkipReason is not null)
        {
            SkipReason = "Unleash needs PostgreSQL: " + _postgres.SkipReason;
            return;
        }

        _database = _postgres.CreateDatabase("unleash");
        var connection = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString(_database));
        Port = Loopback.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_HOST"] = PostgreSqlServer.Host,
            ["DATABASE_PORT"] = _postgres.Port.ToString(CultureInfo.InvariantCulture),
            ["DATABASE_NAME"] = _database,
            ["DATABASE_USERNAME"] = connection.Username!,
            ["DATABASE_PASSWORD"] = connection.Password!,
            ["DATABASE_SSL"] = "false",
            ["HTTP_HOST"] = "127.0.0.1",
            ["HTTP_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["INIT_ADMIN_API_TOKENS"] = AdminToken,
            ["INIT_CLIENT_API_TOKENS"] = ClientToken,
            // The client API answers what the admin API just changed, as an SDK's next poll would see it.
            ["CLIENT_FEATURE_CACHING_ENABLED"] = "false",
            ["SEND_TELEMETRY"] = "false",
            ["CHECK_VERSION"] = "false",
            ["LOG_LEVEL"] = "warn",
            ["TZ"] = "UTC",
        };
        try
        {
            _process = new LoopbackProcess("unleash-server", node, new[] { script }, logLimit: 64_000, environment);
            SkipReason = _process.WaitUntilReady(_http, new Uri(Url, "health"), r => r.IsSuccessStatusCode, StartPatience);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            SkipReason = $"unleash-server could not be started: {ex.Message}";
        }
    }

    /// <summary>Starts an Unleash server whose database lives on <paramref name="postgres"/> (the test run's own server).</summary>
    public static UnleashServer On(PostgreSqlServer postgres) => new(postgres);

    /// <summary>
    /// Where .ci/run installs unleash-server: $XDG_CACHE_HOME (else ~/.cache)/rollback/unleash-server-VERSION, unless
    /// ROLLBACK_UNLEASH_HOME names another folder.
    /// </summary>
    public static string InstallFolder =>
        Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home ? home
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "rollback", "unleash-server-" + Version);

    /// <summary>Why the tests that need Unleash skip; null when it runs.</summary>
    public string? SkipReason { get; }

    public int Port { get; }

    /// <summary>http://127.0.0.1:port/.</summary>
    public Uri Url => Loopback.Url(Port);

    /// <summary>An admin API token for every project and environment (random per server; never printed).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Rollback.Security", "RB1007", Justification = "A throwaway token of a test server on 127.0.0.1: the tests hand it to the kind and search for it in what the module wrote")]
    public string AdminToken { get; }

    /// <summary>A client (SDK) token for production: what an application reads flags with, and what the admin API refuses.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Rollback.Security", "RB1007", Justification = "A throwaway token of a test server on 127.0.0.1, for the client API reads and the 403 test")]
    public string ClientToken { get; }

    /// <summary>The PID of the Node process, the one stopped at the end.</summary>
    public int? ProcessId => _process?.ProcessId;

    public string Log => _process?.Log ?? string.Empty;

    /// <summary>Creates a flag (type release) in the default project; every environment starts off, without strategies.</summary>
    public void CreateFlag(string flag) => Admin(HttpMethod.Post, "/api/admin/projects/default/features", $"{{\"name\":{JsonSerializer.Serialize(flag)},\"type\":\"release\"}}");

    /// <summary>Adds a flexibleRollout strategy at <paramref name="percent"/> to an environment; returns its id.</summary>
    public string AddRollout(string flag, string environment, int percent) =>
        Admin(HttpMethod.Post, $"/api/admin/projects/default/features/{flag}/environments/{environment}/strategies",
            $"{{\"name\":\"flexibleRollout\",\"parameters\":{{\"rollout\":\"{percent}\",\"stickiness\":\"default\",\"groupId\":{JsonSerializer.Serialize(flag)}}}}}").GetProperty("id").GetString()!;

    /// <summary>Sets a strategy's rollout percentage (what a deployment's "ramp up" does).</summary>
    public void SetRollout(string flag, string environment, string strategyId, int percent) =>
        Admin(HttpMethod.Put, $"/api/admin/projects/default/features/{flag}/environments/{environment}/strategies/{strategyId}",
            $"{{\"name\":\"flexibleRollout\",\"parameters\":{{\"rollout\":\"{percent}\",\"stickiness\":\"default\",\"groupId\":{JsonSerializer.Serialize(flag)}}}}}");

    public void DeleteStrategy(string flag, string environment, string strategyId) =>
        Admin(HttpMethod.Delete, $"/api/admin/projects/default/features/{flag}/environments/{environment}/strategies/{strategyId}", null);

    public void SetEnabled(string flag, string environment, bool enabled) =>
        Admin(HttpMethod.Post, $"/api/admin/projects/default/features/{flag}/environments/{environment}/{(enabled ? "on" : "off")}", null);

    /// <summary>Archives the flag (what "delete" does in Unleash): the admin API no longer finds it.</summary>
    public void ArchiveFlag(string flag) => Admin(HttpMethod.Delete, $"/api/admin/projects/default/features/{flag}", null);

    /// <summary>One environment of the flag as the admin API reads it: (enabled, the strategies' rollout percentages in order).</summary>
    public (bool Enabled, IReadOnlyList<string> Rollouts) AdminView(string flag, string environment)
    {
        foreach (var env in Admin(HttpMethod.Get, $"/api/admin/projects/default/features/{flag}", null).GetProperty("environments").EnumerateArray())
        {
            if (env.GetProperty("name").GetString() == environment)
            {
                return (env.GetProperty("enabled").GetBoolean(), Rollouts(env.GetProperty("strategies")));
            }
        }

        throw new InvalidOperationException($"Flag {flag} has no environment {environment}.");
    }

    /// <summary>
    /// The flag as an application's SDK reads it with the production client token (GET /api/client/features/FLAG):
    /// (enabled, the strategies' rollout percentages in order).
    /// </summary>
    public (bool Enabled, IReadOnlyList<string> Rollouts) ClientView(string flag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, "api/client/features/" + flag));
        request.Headers.TryAddWithoutValidation("Authorization", ClientToken);
        using var response = _http.Send(request);
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The client API answered {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        return (document.RootElement.GetProperty("enabled").GetBoolean(), Rollouts(document.RootElement.GetProperty("strategies")));
    }

    /// <summary>A call of the admin API with the admin token; a non-2xx answer throws with the body.</summary>
    public JsonElement Admin(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(Url, path.TrimStart('/')));
        request.Headers.TryAddWithoutValidation("Authorization", AdminToken);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        }

        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        // LoopbackProcess stops the Node process it started (by its PID, with what it started), then the database goes.
        _process?.Dispose();
        if (_database is not null && _postgres?.SkipReason is null)
        {
            try
            {
                _postgres!.DropDatabase(_database);
            }
            catch (NpgsqlException)
            {
                // The server may already be stopping; its temp folder goes with it.
            }
        }

        _ownPostgres?.Dispose();
        _http.Dispose();
    }

    private static List<string> Rollouts(JsonElement strategies)
    {
        var rollouts = new List<string>();
        foreach (var strategy in strategies.EnumerateArray())
        {
            rollouts.Add(strategy.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("rollout", out var rollout)
                ? strategy.GetProperty("name").GetString() + ":" + rollout.GetString()
                : strategy.GetProperty("name").GetString()!);
        }

        return rollouts;
    }
}
