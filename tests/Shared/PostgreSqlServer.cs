using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;
using Npgsql;

namespace Rollback.Testing;

/// <summary>
/// A real PostgreSQL server (the Debian package's binaries, 15 preferred) on 127.0.0.1, one per test run (an xUnit
/// collection fixture, see <c>PostgreSqlGroup</c>), with a database per test (<see cref="CreateDatabase"/>).
/// <para>
/// <c>initdb</c> and <c>postgres</c> refuse to run as root. As root they run as the package's own system account,
/// <c>postgres</c> (Debian's postgresql-common creates it whenever the server binaries are installed, so the binaries and
/// the account come together and nothing is created here), through <c>setpriv</c>, which changes the user and then
/// executes the program in the same process: the PID the test holds is the postmaster itself, so it is stopped by that
/// PID. (<c>runuser</c> and <c>su</c> would keep a parent process between.) As any other user they run as that user.
/// </para>
/// <para>
/// Everything lives in one temp folder owned by that account: the data directory, the Unix socket and the log. The
/// server listens on 127.0.0.1 on a free port only, and every connection (TCP and socket) authenticates with
/// scram-sha-256, so a wrong password is refused for real. It is stopped on Dispose by its PID (SIGINT: fast shutdown,
/// then SIGKILL of what is left), failures included, and the folder is removed. When the binaries are missing or the
/// server does not start, <see cref="SkipReason"/> says why. Linked source; it uses no Rollback type.
/// </para>
/// </summary>
public sealed class PostgreSqlServer : IDisposable
{
    /// <summary>The superuser initdb creates; its password is random per server.</summary>
    public const string AdminUser = "rollback_admin";

    /// <summary>
    /// A server with fsync and synchronous commit on: for a benchmark comparing against plain pg_restore, so both sides
    /// pay for durable writes. (The fixture itself has one public constructor, as xUnit requires.)
    /// </summary>
    public static PostgreSqlServer StartDurable() => new(durable: true);

    private const string ServiceAccount = "postgres";

    // The temp folders of the test servers, and how long one must have been left alone before another server removes it.
    private const string RootPrefix = "rollback-test-pg-";
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(20);
    private const int SignalInterrupt = 2;
    private const int NotPermitted = 1; // EPERM: the process lives, as another user
    private LoopbackProcess? _process;
    private (string Binary, IEnumerable<string> Arguments) _start;
    private readonly string? _runAs;
    private readonly string _adminPassword;
    private int _databases;

    /// <summary>
    /// Starts a server for the tests: fsync and synchronous commit, which
    /// changes no behaviour a test can see short of a power cut.
    /// </summary>
    public PostgreSqlServer()
        : this(durable: false)
    {
    }

    private PostgreSqlServer(bool durable)
    {
        RemoveAbandonedRoots();
        Root = Path.Combine(Path.GetTempPath(), RootPrefix + Guid.NewGuid().ToString("N"));
        _adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        BinDirectory = FindBinDirectory();
        if (BinDirectory is null)
        {
            SkipReason = "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): apt-get install postgresql, as .ci/run does.";
            return;
        }

        var asRoot = Environment.UserName == "root" || GetEffectiveUserId() == 0;
        if (asRoot && !AccountExists(ServiceAccount))
        {
            SkipReason = $"PostgreSQL refuses to run as root and there is no '{ServiceAccount}' account to run it as (the Debian package creates it).";
            return;
        }

        _runAs = asRoot ? ServiceAccount : null;
        try
        {
            Directory.CreateDirectory(Root);
            var passwordFile = Path.Combine(Root, "initdb-password");
            File.WriteAllText(passwordFile, _adminPassword + "\n");
            if (_runAs is not null)
            {
                Run("chown", new[] { "-R", _runAs + ":", Root }, asServiceAccount: false);
            }

            Run(Tool("initdb"), new[]
            {
                "-D", DataDirectory, "-U", AdminUser, "--pwfile", passwordFile, "--auth=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
            }, asServiceAccount: true);
            File.Delete(passwordFile);

            Port = Loopback.FreePort();
            var settings = new List<string>
            {
                "-D", DataDirectory,
                "-c", "listen_addresses=127.0.0.1",
                "-c", "port=" + Port.ToString(CultureInfo.InvariantCulture),
                "-c", "unix_socket_directories=" + Root,
                "-c", "max_connections=100",
                "-c", "logging_collector=off",
            };
            if (!durable)
            {
                settings.AddRange(new[] { "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off" });
            }

            _start = AsServiceAccount(Tool("postgres"), settings);
            _process = new LoopbackProcess("postgres", _start.Binary, _start.Arguments, logLimit: 64_000);
            SkipReason = WaitUntilReady();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            SkipReason = $"PostgreSQL could not be started: {ex.Message}";
        }
    }

    /// <summary>Why the tests that need PostgreSQL skip; null when it runs.</summary>
    public string? SkipReason { get; }

    /// <summary>The temp folder holding the data directory, the Unix socket and nothing else.</summary>
    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>The folder of the Unix socket (libpq's host for a socket connection).</summary>
    public string SocketDirectory => Root;

    /// <summary>The server's bin folder (initdb, postgres, pg_dump, pg_restore, psql of the same version).</summary>
    public string? BinDirectory { get; }

    public static string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>What the server's process wrote (its log goes to standard error).</summary>
    public string Log => _process?.Log ?? string.Empty;

    /// <summary>The PID of the postmaster, the process stopped at the end.</summary>
    public int? ProcessId => _process?.ProcessId;

    /// <summary>A tool of the server's own version from <see cref="BinDirectory"/>.</summary>
    public string Tool(string name) => Path.Combine(BinDirectory ?? "/usr/bin", name);

    /// <summary>A connection string for <paramref name="database"/> over TCP, as the admin unless another user is named.</summary>
    public string ConnectionString(string database, string? user = null, string? password = null) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Database = database,
        Username = user ?? AdminUser,
        Password = password ?? _adminPassword,
        Pooling = false,
        Timeout = 15,
    }.ConnectionString;

    /// <summary>
    /// Writes the admin's password alone to <paramref name="path"/>, readable by its owner only: what a <c>file:</c>
    /// secret reference points at. The password is random per server and never printed.
    /// </summary>
    public void WritePasswordFile(string path) => WriteUserOnly(path, _adminPassword);

    /// <summary>
    /// Writes a libpq password file (host:port:database:user:password) to <paramref name="path"/>, user-only as libpq
    /// requires, giving the admin's password (or <paramref name="password"/>) for this server's every database.
    /// </summary>
    public void WritePassFile(string path, string? password = null) =>
        WriteUserOnly(path, $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}:*:{AdminUser}:{password ?? _adminPassword}\n");

    /// <summary>Creates an empty database with a unique name starting with <paramref name="prefix"/> and returns the name.</summary>
    public string CreateDatabase(string prefix)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant();
        Execute("postgres", $"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Whether a database of that name exists now.</summary>
    public bool DatabaseExists(string name) =>
        Scalar<long>("postgres", "SELECT count(*) FROM pg_database WHERE datname = @p0", name) == 1;

    /// <summary>The names of every database whose name starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> DatabasesStartingWith(string prefix)
    {
        using var connection = Open("postgres");
        using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, @p0) ORDER BY datname", connection);
        command.Parameters.AddWithValue("p0", prefix);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Drops <paramref name="name"/> (with its connections) if it exists.</summary>
    public void DropDatabase(string name) => Execute("postgres", $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    /// <summary>Creates a login role with <paramref name="password"/> (for permission and wrong-password tests).</summary>
    public void CreateRole(string name, string password, string attributes = "") =>
        Execute("postgres", $"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}' {attributes}");

    public NpgsqlConnection Open(string database)
    {
        var connection = new NpgsqlConnection(ConnectionString(database));
        connection.Open();
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements) in <paramref name="database"/>.</summary>
    public void Execute(string database, string sql)
    {
        using var connection = Open(database);
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, with @p0, @p1 ... bound to <paramref name="parameters"/>.</summary>
    public T Scalar<T>(string database, string sql, params object[] parameters)
    {
        using var connection = Open(database);
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters.AddWithValue("p" + i.ToString(CultureInfo.InvariantCulture), parameters[i]);
        }

        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>The server's major version (15 for Debian bookworm's package).</summary>
    public int MajorVersion => Scalar<int>("postgres", "SELECT current_setting('server_version_num')::int / 10000");

    /// <summary>
    /// Stops the server as <c>pg_ctl stop -m fast</c> does (SIGINT to the postmaster, by the PID this fixture started: its
    /// backends are ended with "terminating connection due to administrator command") and waits for it to exit. Its data
    /// directory and port stay for <see cref="Start"/>.
    /// </summary>
    public void Stop()
    {
        if (_process is { ProcessId: { } pid } && !_process.HasExited)
        {
            _ = Kill(pid, SignalInterrupt);
            if (!_process.WaitForExit(StopPatience))
            {
                throw new InvalidOperationException($"postgres did not stop within {StopPatience.TotalSeconds} s of a fast shutdown: {_process.Log}");
            }
        }
    }

    /// <summary>Starts the server again after <see cref="Stop"/>: the same data directory, port and settings; returns once it accepts connections.</summary>
    public void Start()
    {
        if (_process is not { HasExited: true })
        {
            throw new InvalidOperationException("The server runs (or never started): Stop it first.");
        }

        _process.Dispose();
        _process = new LoopbackProcess("postgres", _start.Binary, _start.Arguments, logLimit: 64_000);
        if (WaitUntilReady() is { } failure)
        {
            throw new InvalidOperationException(failure);
        }
    }

    public void Dispose()
    {
        if (_process is { ProcessId: { } pid } && !_process.HasExited)
        {
            // Fast shutdown: the postmaster ends its backends and exits cleanly. Signalled by the PID this fixture started.
            _ = Kill(pid, SignalInterrupt);
            _process.WaitForExit(StopPatience);
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless; a failed test must not be hidden behind a cleanup error.
        }
    }

    /// <summary>
    /// Removes the folders of servers of earlier test runs that nobody removed: a test host is ended as soon as its run is
    /// over, so a server kept for the whole run (the shared-store pass's) is stopped with it but cannot remove its folder,
    /// some 3 GB. Only a folder where no postmaster runs and that nothing changed for <see cref="AbandonedAfter"/>.
    /// </summary>
    private static void RemoveAbandonedRoots()
    {
        foreach (var root in Directory.EnumerateDirectories(Path.GetTempPath(), RootPrefix + "*"))
        {
            try
            {
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(root) >= AbandonedAfter && !PostmasterRuns(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another run's server may be removing it at the same time, or it is not ours to remove: left.
            }
        }
    }

    /// <summary>Whether the postmaster that data/postmaster.pid names is alive (signal 0 only asks).</summary>
    private static bool PostmasterRuns(string root)
    {
        var pidFile = Path.Combine(root, "data", "postmaster.pid");
        return File.Exists(pidFile)
            && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && (Kill(pid, 0) == 0 || Marshal.GetLastWin32Error() == NotPermitted);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    private static string? FindBinDirectory()
    {
        const string Versions = "/usr/lib/postgresql";
        var preferred = Path.Combine(Versions, "15", "bin");
        if (File.Exists(Path.Combine(preferred, "initdb")))
        {
            return preferred;
        }

        if (!Directory.Exists(Versions))
        {
            return null;
        }

        return Directory.GetDirectories(Versions)
            .Select(folder => (Folder: folder, Version: int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0))
            .Where(c => File.Exists(Path.Combine(c.Folder, "bin", "initdb")))
            .OrderByDescending(c => c.Version)
            .Select(c => Path.Combine(c.Folder, "bin"))
            .FirstOrDefault();
    }

    private static void WriteUserOnly(string path, string text)
    {
        File.WriteAllText(path, string.Empty);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The PostgreSQL fixture runs on Linux only.");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    private static bool AccountExists(string name) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(name + ":", StringComparison.Ordinal));

    private (string Binary, IEnumerable<string> Arguments) AsServiceAccount(string binary, IEnumerable<string> arguments) =>
        _runAs is null
            ? (binary, arguments)
            : ("setpriv", new[] { "--reuid=" + _runAs, "--regid=" + _runAs, "--init-groups", "--", binary }.Concat(arguments));

    private void Run(string binary, IEnumerable<string> arguments, bool asServiceAccount)
    {
        var (file, all) = asServiceAccount ? AsServiceAccount(binary, arguments) : (binary, arguments);
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var argument in all)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(binary)} did not finish within 120 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(binary)} failed with exit code {process.ExitCode}: {error}{output.Result}");
        }
    }

    private string? WaitUntilReady()
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                return $"postgres exited before accepting connections: {_process.Log}";
            }

            try
            {
                using var connection = Open("postgres");
                return null;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // Not listening or still starting up ("the database system is starting up").
            }

            if (watch.Elapsed > StartPatience)
            {
                return $"postgres did not accept connections within {StartPatience.TotalSeconds} s: {_process.Log}";
            }

            Thread.Sleep(200);
        }
    }
}
