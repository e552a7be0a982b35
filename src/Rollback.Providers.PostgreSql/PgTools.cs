using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// pg_dump and pg_restore run for a target: found in ToolsDirectory, else the newest /usr/lib/postgresql/&lt;major&gt;/bin
/// (Debian's layout; /usr/bin/pg_dump there is a wrapper that picks by cluster), else PATH. Connection details go in
/// libpq's environment (PGHOST, PGPORT, PGUSER, PGSSLMODE, PGPASSFILE when PassFile is set) and the database as a
/// quoted conninfo, never a password on a command line. Each run is followed by the shared RemoteOperationFollower
/// (progress, Ctrl+C kills the tool); its output stays in memory and only its last lines go into an error.
/// </summary>
internal sealed class PgTools
{
    private const int ErrorTail = 1200;
    private static readonly Regex DumpedFrom = new(@"Dumped from database version: (?<v>\S+)", RegexOptions.CultureInvariant);
    private static readonly Regex DumpedBy = new(@"Dumped by pg_dump version: (?<v>\S+)", RegexOptions.CultureInvariant);

    private static readonly string[] VersionArguments = { "--version" };
    private readonly DatabaseSettings _settings;

    public PgTools(DatabaseSettings settings)
    {
        _settings = settings;
    }

    /// <summary>The path of <paramref name="tool"/> (pg_dump, pg_restore); PostgreSqlToolMissing when it is nowhere.</summary>
    public string Find(string tool)
    {
        var candidates = new List<string>();
        if (_settings.ToolsDirectory is not null)
        {
            candidates.Add(Path.Combine(_settings.ToolsDirectory, tool));
        }
        else
        {
            const string Versions = "/usr/lib/postgresql";
            if (Directory.Exists(Versions))
            {
                candidates.AddRange(Directory.GetDirectories(Versions)
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
                    .Select(d => Path.Combine(d, "bin", tool)));
            }

            candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, OperatingSystem.IsWindows() ? tool + ".exe" : tool)));
        }

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new RollbackException(PostgreSqlErrorId.PostgreSqlToolMissing, RollbackErrorCategory.ObjectNotFound,
                $"{tool} was not found ({(_settings.ToolsDirectory is null ? "no /usr/lib/postgresql/<major>/bin nor PATH has it" : $"not in ToolsDirectory '{_settings.ToolsDirectory}'")}).", tool);
    }

    /// <summary>The tool's version ("15.14").</summary>
    public string Version(string tool)
    {
        var output = RunToEnd(Find(tool), VersionArguments, CancellationToken.None);
        var match = Regex.Match(output.Text, @"(\d+(\.\d+)*)", RegexOptions.CultureInvariant);
        return match.Success ? match.Value : output.Text.Trim();
    }

    /// <summary>The connection string libpq reads for <paramref name="database"/>: only the name, quoted (host and user are in the environment).</summary>
    public static string ConnInfo(string database) => "dbname='" + database.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>
    /// Runs <paramref name="tool"/> against the target's server, followed as <paramref name="activity"/>; returns its
    /// output when it succeeds; on failure throws PostgreSqlDumpFailed or PostgreSqlRestoreFailed with the last of what it wrote; Ctrl+C kills
    /// it and throws OperationCanceledException.
    /// </summary>
    public string Run(string tool, IEnumerable<string> arguments, string activity, int progressId, Providers.OperationContext context, Action<int>? started = null)
    {
        var run = ToolProcess.Run(Start(Find(tool), arguments), tool, activity, progressId, context, started);
        if (run.Succeeded)
        {
            return run.Output;
        }

        var message = $"{tool} failed ({run.Status}): {Tail(run.Output.Trim())}";
        throw tool == "pg_dump"
            ? new RollbackException(PostgreSqlErrorId.PostgreSqlDumpFailed, RollbackErrorCategory.InvalidOperation, message, _settings.Database)
            : new RollbackException(PostgreSqlErrorId.PostgreSqlRestoreFailed, RollbackErrorCategory.InvalidOperation, message, _settings.Database);
    }

    /// <summary>What pg_restore --list says of a dump: its table of contents and the versions in its header; PostgreSqlDumpUnreadable when it cannot read it.</summary>
    public DumpHeader ReadHeader(string dump, Providers.OperationContext context)
    {
        var output = RunToEnd(Find("pg_restore"), new[] { "--list", dump }, context.Cancellation);
        if (output.ExitCode != 0)
        {
            var text = output.Text.Trim();
            throw new RollbackException(PostgreSqlErrorId.PostgreSqlDumpUnreadable, RollbackErrorCategory.InvalidData,
                $"pg_restore cannot read the dump '{Path.GetFileName(dump)}': {Tail(text)}", dump);
        }

        return new DumpHeader(
            DumpedFrom.Match(output.Text) is { Success: true } from ? from.Groups["v"].Value : "unknown",
            DumpedBy.Match(output.Text) is { Success: true } by ? by.Groups["v"].Value : "unknown",
            output.Text.Split('\n').Count(line => line.Length > 0 && !line.StartsWith(';')));
    }

    private ProcessStartInfo Start(string binary, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        SetConnectionEnvironment(start, _settings);
        return start;
    }

    /// <summary>
    /// Tells a tool where the target's server is through libpq's environment (PGHOST, PGPORT, PGUSER, PGSSLMODE, PGPASSFILE
    /// when PassFile is set), never a password: pg_dump, pg_restore, psql and migration tools alike read them.
    /// </summary>
    public static void SetConnectionEnvironment(ProcessStartInfo start, DatabaseSettings settings)
    {
        start.Environment["PGHOST"] = settings.Host;
        start.Environment["PGPORT"] = settings.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGSSLMODE"] = settings.SslMode;
        start.Environment["PGAPPNAME"] = "Rollback";
        start.Environment["PGCONNECT_TIMEOUT"] = "15";
        start.Environment.Remove("PGDATABASE");
        if (settings.User is not null)
        {
            start.Environment["PGUSER"] = settings.User;
        }

        if (settings.PassFile is not null)
        {
            start.Environment["PGPASSFILE"] = settings.PassFile;
        }
    }

    private (int ExitCode, string Text) RunToEnd(string binary, IEnumerable<string> arguments, CancellationToken cancellation)
    {
        using var process = Process.Start(Start(binary, arguments)) ?? throw new InvalidOperationException($"Cannot start {binary}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        try
        {
            process.WaitForExitAsync(cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            ToolProcess.Kill(process);
            throw;
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }

    private static string Tail(string text) => ToolProcess.Tail(text, ErrorTail);
}

/// <summary>A dump's header as pg_restore --list reads it.</summary>
internal sealed record DumpHeader(string DumpedFromVersion, string DumpedByVersion, int Entries);
