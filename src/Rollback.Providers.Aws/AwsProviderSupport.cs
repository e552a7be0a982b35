using System;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Providers.Aws;

/// <summary>A client that tells what it did on the way (a clock-skew correction) to a reporter, when given one.</summary>
internal interface IReportingAwsClient
{
    IRollbackReporter? Reporter { get; set; }
}

/// <summary>What every AWS kind does the same way around its service calls: reading its captured artifact back,
/// turning a refusal into a failed readiness check, waiting on the synchronous contract, and wiring the reporter.</summary>
internal static class AwsProviderSupport
{
    /// <summary>The kind's JSON artifact of a point; <paramref name="missing"/> names what a complete one lacks, or null.</summary>
    public static T ReadCaptured<T>(RollbackTarget target, RollbackPoint point, string artifactFile, Func<T, string?> missing)
        where T : class => StoreJson.ReadArtifact(target, point, artifactFile, missing);

    /// <summary>
    /// A setting that names the resource, trimmed; missing or blank is InvalidTargetSettings with an example of a
    /// whole registration (<paramref name="example"/>: "@{ FunctionName = 'checkout-api'; ... }").
    /// </summary>
    public static string RequiredSetting(SettingsDictionary settings, string key, string what, string kind, string example)
    {
        var value = settings.GetString(key);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"A {kind} target needs the setting '{key}' naming {what}, e.g. {example}.", key);
        }

        return value!.Trim();
    }

    /// <summary>A check whose service call was refused fails with the refusal's ErrorId instead of throwing.</summary>
    public static CheckResult Guard(string name, Func<CheckResult> check)
    {
        try
        {
            return check();
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail(name, ex.ErrorId, ex.Message);
        }
    }

    /// <summary>The provider contract is synchronous; the clients are the SDK's async shape.</summary>
    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    /// <summary>The client, told where to report (a test's fake client has nowhere to report).</summary>
    public static TClient Reporting<TClient>(TClient client, IRollbackReporter reporter)
    {
        if (client is IReportingAwsClient real)
        {
            real.Reporter = reporter;
        }

        return client;
    }
}
