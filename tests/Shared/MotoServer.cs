using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;

namespace Rollback.Testing;

/// <summary>
/// moto (a third-party AWS emulator, `moto_server`) on 127.0.0.1 with a free port, started once per test class or
/// collection, bounded: ready within 30 s or the tests skip with <see cref="SkipReason"/>. Shared by the engine and the
/// cmdlet tests (linked source; it uses no Rollback type).
/// </summary>
public sealed class MotoServer : IDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);

    private readonly LoopbackProcess? _process;

    public MotoServer()
    {
        var binary = FindOnPath("moto_server");
        if (binary is null)
        {
            SkipReason = "moto is not installed (no 'moto_server' on PATH): pip install 'moto[server]', as .ci/run does.";
            return;
        }

        try
        {
            var port = FreePort();
            Url = Loopback.Url(port);
            _process = new LoopbackProcess("moto_server", binary, new[] { "-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) }, logLimit: 32_000, MotoEnvironment);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            SkipReason = _process.WaitUntilReady(http, new Uri(Url, "moto-api/"), response => (int)response.StatusCode < 500, StartPatience);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            SkipReason = $"moto_server could not be started: {ex.Message}";
        }
    }

    /// <summary>
    /// What moto_server runs with: its ECS services report this many running tasks (MOTO_ECS_SERVICE_RUNNING), so the one
    /// deployment moto keeps per service reads COMPLETED for a service of that many tasks (moto never advances a
    /// deployment itself), as the AWS drill sets it too.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MotoEnvironment { get; } = new Dictionary<string, string> { ["MOTO_ECS_SERVICE_RUNNING"] = EcsRunningTasks.ToString(CultureInfo.InvariantCulture) };

    public const int EcsRunningTasks = 2;

    /// <summary>Null when moto answers; else why the tests skip.</summary>
    public string? SkipReason { get; }

    public Uri Url { get; } = new("http://127.0.0.1:1/");

    public string ProcessLog => _process?.Log ?? string.Empty;

    public static string? FindOnPath(string name) => LoopbackProcess.FindOnPath(name);

    public static int FreePort() => Loopback.FreePort();

    public void Dispose() => _process?.Dispose();
}
