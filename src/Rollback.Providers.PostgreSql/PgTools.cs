using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
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
        var start = Start(Find(tool), arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {tool}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        started?.Invoke(process.Id);
        var follow = Providers.RemoteOperationFollower.Follow(new Providers.RemoteOperation
        {
            Name = $"{tool} (process {process.Id})",
            Activity = activity,
            InitialStatus = "Started",
            PollInterval = TimeSpan.Zero,
            Patience = TimeSpan.FromDays(1),
            ProgressActivityId = progressId,
            Read = cancellation =>
            {
                // Waits a little for the tool to end, so a short run ends at once and a long one reports every quarter second.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                wait.CancelAfter(TimeSpan.FromMilliseconds(250));
                try
                {
                    process.WaitForExitAsync(wait.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    return new Providers.RemoteOperationState { Status = "Running", Outcome = Providers.RemoteOutcome.Running };
                }

                process.WaitForExit();
                return new Providers.RemoteOperationState
                {
                    Status = process.ExitCode == 0 ? "Finished" : $"Failed with exit code {process.ExitCode}",
                    Outcome = process.ExitCode == 0 ? Providers.RemoteOutcome.Succeeded : Providers.RemoteOutcome.Failed,
                };
            },
            Stop = _ =>
            {
                Kill(process);
                return $"{tool} (process {process.Id}) was stopped";
            },
        }, context);
        switch (follow.Ending)
        {
            case Providers.FollowEnding.Succeeded:
                return Text(output);
            case Providers.FollowEnding.Cancelled:
                Kill(process);
                throw follow.Cancellation ?? new OperationCanceledException(context.Cancellation);
            default:
                Kill(process);
                var text = Text(output).Trim();
                var message = $"{tool} failed ({follow.LastStatus}): {Tail(text)}";
                throw tool == "pg_dump"
                    ? new RollbackException(PostgreSqlErrorId.PostgreSqlDumpFailed, RollbackErrorCategory.InvalidOperation, message, _settings.Database)
                    : new RollbackException(PostgreSqlErrorId.PostgreSqlRestoreFailed, RollbackErrorCategory.InvalidOperation, message, _settings.Database);
        }
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

        start.Environment["PGHOST"] = _settings.Host;
        start.Environment["PGPORT"] = _settings.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGSSLMODE"] = _settings.SslMode;
        start.Environment["PGAPPNAME"] = "Rollback";
        start.Environment["PGCONNECT_TIMEOUT"] = "15";
        start.Environment.Remove("PGDATABASE");
        if (_settings.User is not null)
        {
            start.Environment["PGUSER"] = _settings.User;
        }

        if (_settings.PassFile is not null)
        {
            start.Environment["PGPASSFILE"] = _settings.PassFile;
        }

        return start;
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
            Kill(process);
            throw;
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }

    private static string Tail(string text) => text.Length > ErrorTail ? string.Concat("...", text.AsSpan(text.Length - ErrorTail)) : text;

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 64_000)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>A dump's header as pg_restore --list reads it.</summary>
internal sealed record DumpHeader(string DumpedFromVersion, string DumpedByVersion, int Entries);
