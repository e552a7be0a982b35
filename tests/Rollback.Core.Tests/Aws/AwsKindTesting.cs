using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>What the AWS kinds' engine tests write the same way: settings from pairs, and the AWS CLI v2 reading a service through the checking endpoint.</summary>
internal static class AwsKindTesting
{
    public static KeyValuePair<string, object?> Pair(string key, object? value) => new(key, value);

    /// <summary>Per-call options (or settings) from pairs.</summary>
    public static SettingsDictionary Options(params (string Key, string Value)[] options) => new(options.Select(o => Pair(o.Key, o.Value)));

    /// <summary>
    /// Runs the AWS CLI through <paramref name="endpoint"/> with the test credentials and returns the JSON it printed; the
    /// test skips when no CLI is installed and fails when the CLI does.
    /// </summary>
    public static JsonObject Cli(AwsTestEndpoint endpoint, params string[] arguments)
    {
        var cli = AwsCli.Find(out var why);
        Skip.If(cli is null, why);
        var answer = cli!.Call(endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, arguments);
        Assert.True(answer.ExitCode == 0, answer.ToString());
        return answer.Json!;
    }
}
