using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Xml.Linq;

namespace Rollback.Testing;

/// <summary>
/// Test setup's own calls to one of moto's Query protocol services (ELBv2, EC2, RDS), straight to moto and never through
/// the checking endpoint: a form POST with Action and Version, unsigned (moto takes the account and region from the
/// credential scope), answered with XML whose names are returned without their namespace.
/// </summary>
public sealed class MotoQuery : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;

    public MotoQuery(Uri moto)
    {
        _moto = moto;
    }

    /// <summary>One call; the answer with its names stripped of the XML namespace, or InvalidOperationException with moto's error.</summary>
    public XElement Call(string service, string version, string action, params (string Key, string Value)[] parameters)
    {
        var form = string.Join("&", new[] { ("Action", action), ("Version", version) }.Concat(parameters)
            .Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _moto) { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/{service}/aws4_request, SignedHeaders=host, Signature=0");
        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"moto {service} {action} failed: {(int)response.StatusCode} {text}");
        }

        return Strip(XElement.Parse(text));
    }

    public void Dispose() => _http.Dispose();

    private static XElement Strip(XElement element) =>
        new(element.Name.LocalName, element.Elements().Select(Strip), element.HasElements ? null : element.Value);
}
