using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The test endpoints' SigV4 check agrees with botocore's signer (python3 signs a request, the verifier recomputes the
/// signature from the secret key) and refuses the same request once anything signed changes. Skipped, with the reason,
/// when no python3 with botocore is installed.
/// </summary>
public sealed class SigV4VerifierTests
{
    private const string Url = "http://127.0.0.1:8443/";
    private const string Body = "{\"applicationName\": \"Chargeworx\", \"deploymentGroupName\": \"Production\"}";

    private const string Signer = """
        import json, sys
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        key, secret, region, url, body = sys.argv[1:6]
        request = AWSRequest(method="POST", url=url, data=body.encode("utf-8"), headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "CodeDeploy_20141006.GetDeploymentGroup",
        })
        SigV4Auth(Credentials(key, secret), "codedeploy", region).add_auth(request)
        print(json.dumps(dict(request.headers.items())))
        """;

    private static readonly SigV4Verifier Verifier = new(CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, CodeDeployEndpoint.Region, "codedeploy");

    private static Dictionary<string, string>? SignWithBotocore(out string? skip)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Signer, CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, CodeDeployEndpoint.Region, Url, Body })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit(30_000);
            if (process.ExitCode != 0)
            {
                skip = "python3 with botocore is not available to sign a reference request: " + error.Trim();
                return null;
            }

            skip = null;
            var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(output)!;
            headers["Host"] = new Uri(Url).Authority;
            return new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            skip = "python3 is not installed: " + ex.Message;
            return null;
        }
    }

    [SkippableFact]
    public void AcceptsWhatBotocoreSigns()
    {
        var headers = SignWithBotocore(out var skip);
        Skip.If(headers is null, skip);

        Assert.Null(Verifier.Verify("POST", "/", headers, Encoding.UTF8.GetBytes(Body)));
    }

    [SkippableFact]
    public void RefusesTheSameRequestOnceASignedPartChanges()
    {
        var headers = SignWithBotocore(out var skip);
        Skip.If(headers is null, skip);

        var body = Encoding.UTF8.GetBytes(Body.Replace("Production", "Productiom", StringComparison.Ordinal));
        Assert.Equal("InvalidSignatureException", Verifier.Verify("POST", "/", headers, body)?.ErrorType);

        var otherTarget = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { ["X-Amz-Target"] = "CodeDeploy_20141006.CreateDeployment" };
        Assert.Equal("InvalidSignatureException", Verifier.Verify("POST", "/", otherTarget, Encoding.UTF8.GetBytes(Body))?.ErrorType);

        var otherHost = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { ["Host"] = "127.0.0.1:8444" };
        Assert.Equal("InvalidSignatureException", Verifier.Verify("POST", "/", otherHost, Encoding.UTF8.GetBytes(Body))?.ErrorType);

        Assert.Equal("InvalidSignatureException", Verifier.Verify("POST", "/other", headers, Encoding.UTF8.GetBytes(Body))?.ErrorType);

        var wrongKey = new SigV4Verifier(CodeDeployEndpoint.AccessKeyId, "another-secret", CodeDeployEndpoint.Region, "codedeploy");
        Assert.Equal("InvalidSignatureException", wrongKey.Verify("POST", "/", headers, Encoding.UTF8.GetBytes(Body))?.ErrorType);

        var unsigned = new Dictionary<string, string>(headers.Where(h => h.Key != "Authorization"), StringComparer.OrdinalIgnoreCase);
        Assert.Equal("MissingAuthenticationTokenException", Verifier.Verify("POST", "/", unsigned, Encoding.UTF8.GetBytes(Body))?.ErrorType);
    }

    [SkippableFact]
    public void RefusesASignatureOlderThanFifteenMinutes()
    {
        var headers = SignWithBotocore(out var skip);
        Skip.If(headers is null, skip);

        var late = new SigV4Verifier(CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey, CodeDeployEndpoint.Region, "codedeploy")
        {
            Clock = () => DateTimeOffset.UtcNow.AddMinutes(20),
        };
        var fault = late.Verify("POST", "/", headers, Encoding.UTF8.GetBytes(Body));
        Assert.Equal("InvalidSignatureException", fault?.ErrorType);
        Assert.StartsWith("Signature expired", fault?.Message, StringComparison.Ordinal);
    }
}
