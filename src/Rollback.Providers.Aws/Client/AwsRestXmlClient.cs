using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the restXml protocol (CloudFront): the restJson client's path, labels and query
/// (<see cref="AwsProtocolClient.SignRest"/>), an XML body, and the answer's root element (names without the service's
/// namespace, read with <see cref="AwsQueryXml"/>) with its ETag header (CloudFront's optimistic-concurrency token).
/// Errors are read from the XML error body (<see cref="AwsErrors.ReadXmlError"/>) and mapped like every other AWS error.
/// </summary>
internal sealed class AwsRestXmlClient : AwsProtocolClient
{
    public AwsRestXmlClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler? handler = null)
        : base(service, options, handler)
    {
    }

    /// <summary>Sends one operation with <paramref name="body"/> as its XML document (none when null); returns the answer's root (null for an empty answer) and its ETag.</summary>
    public async Task<(XElement? Root, string? ETag)> InvokeAsync(string operation, string method, string pathTemplate, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string?>? query, XElement? body, CancellationToken cancellation)
    {
        CheckLabels(operation, labels);
        var content = body is null ? null : Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body.ToString(SaveOptions.DisableFormatting));
        var answer = await Pipeline.SendAsync(operation, () => SignRest(operation, method, pathTemplate, labels, query, content, "application/xml"), AwsErrors.ReadXmlError, cancellation).ConfigureAwait(false);
        try
        {
            return (string.IsNullOrWhiteSpace(answer.Text) ? null : AwsQueryXml.WithoutNamespaces(XElement.Parse(answer.Text)), answer.Header("ETag"));
        }
        catch (XmlException ex)
        {
            throw AwsErrors.InvalidResponse(Service, operation, answer.RequestId, ex, "XML");
        }
    }
}
