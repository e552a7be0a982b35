using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace Rollback.Testing;

/// <summary>
/// The real AWS CLI as a client of a test endpoint: Debian's `awscli` (v2, /usr/bin/aws) when installed, else the
/// `aws` first on PATH. Runs with the test credentials in the environment, no config or credentials file of the
/// machine, `--endpoint-url` (the CLI ignores AWS_ENDPOINT_URL) and JSON output; every call is bounded in time.
/// </summary>
public sealed class AwsCli
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    private AwsCli(string path, string version)
    {
        Path = path;
        Version = version;
    }

    public string Path { get; }

    /// <summary>The CLI's own `--version` line (aws-cli/2.x ... botocore/...).</summary>
    public string Version { get; }

    /// <summary>The CLI to use, or null with <paramref name="skipReason"/> saying why there is none.</summary>
    public static AwsCli? Find(out string? skipReason)
    {
        var candidates = new List<string> { "/usr/bin/aws" };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => System.IO.Path.Combine(folder, "aws")));
        foreach (var candidate in candidates.Where(File.Exists).Distinct(StringComparer.Ordinal))
        {
            var probe = Run(candidate, new[] { "--version" }, new Dictionary<string, string>());
            if (probe.ExitCode == 0)
            {
                skipReason = null;
                return new AwsCli(candidate, (probe.StandardOutput + probe.StandardError).Trim());
            }
        }

        skipReason = "The AWS CLI is not installed (neither /usr/bin/aws nor 'aws' on PATH): apt-get install awscli, as .ci/run does.";
        return null;
    }

    /// <summary>Runs `aws --endpoint-url URL ARGS --output json` with the test credentials (or the ones given).</summary>
    public AwsCliResult Call(Uri endpoint, string region, string accessKeyId, string secretAccessKey, params string[] arguments)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = accessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = secretAccessKey,
            ["AWS_DEFAULT_REGION"] = region,
            ["AWS_REGION"] = region,
            ["AWS_CONFIG_FILE"] = "/nonexistent/rollback-test-aws-config",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/rollback-test-aws-credentials",
            ["AWS_PAGER"] = string.Empty,
            ["AWS_MAX_ATTEMPTS"] = "1",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        var all = new List<string> { "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--output", "json", "--no-cli-pager" };
        if (!Version.StartsWith("aws-cli/2", StringComparison.Ordinal))
        {
            all.Remove("--no-cli-pager");
        }

        all.AddRange(arguments);
        return Run(Path, all, environment);
    }

    private static AwsCliResult Run(string path, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODEDEPLOY" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit((int)CallTimeout.TotalMilliseconds))
        {
            process.Kill(entireProcessTree: true);
            return new AwsCliResult(-1, output.Result, "timed out after " + CallTimeout + "\n" + error.Result);
        }

        process.WaitForExit();
        return new AwsCliResult(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>What one CLI call did: exit code, output and the JSON it printed (null when it printed none).</summary>
public sealed record AwsCliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public JsonObject? Json => string.IsNullOrWhiteSpace(StandardOutput) ? null : JsonNode.Parse(StandardOutput) as JsonObject;

    public override string ToString() => $"exit {ExitCode}\nstdout: {StandardOutput}\nstderr: {StandardError}";
}
