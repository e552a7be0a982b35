using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// A small client for the AWS Query protocol (Elastic Load Balancing v2, RDS, and the other services botocore models
/// as "query"): a form-encoded POST to the endpoint's path with Action, Version and the flattened parameters
/// (<see cref="AwsQueryParameters"/>), answered with XML. It shares <see cref="AwsHttpPipeline"/> with the awsJson,
/// restJson and S3 clients (credentials, endpoint, SigV4 with the SDK's signer, retries, timeouts, clock skew, the
/// error mapping of <see cref="AwsErrors"/>); what is its own is the form body and reading the answers and errors as
/// XML. An operation's result is the &lt;OperationResult&gt; element with its names stripped of the service's
/// namespace, read with <see cref="AwsQueryXml"/>. One instance per service (an <see cref="AwsServiceInfo"/> with
/// its ApiVersion) and target.
/// </summary>
internal sealed class AwsQueryClient : AwsProtocolClient
{
    private const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";

    public AwsQueryClient(AwsServiceInfo service, AwsClientOptions options, HttpMessageHandler? handler = null)
        : base(RequireApiVersion(service), options, handler)
    {
    }

    /// <summary>
    /// Sends <paramref name="operation"/> with <paramref name="parameters"/> and returns its &lt;OperationResult&gt;
    /// (an empty one for operations that answer only with metadata). An error answer is thrown as the client's ErrorIds.
    /// </summary>
    public async Task<XElement> InvokeAsync(string operation, AwsQueryParameters parameters, CancellationToken cancellation)
    {
        var body = parameters.ToForm(operation, Service.ApiVersion);
        var answer = await Pipeline.SendAsync(operation, () => Sign(operation, body), AwsErrors.ReadXmlError, cancellation).ConfigureAwait(false);
        try
        {
            var root = AwsQueryXml.WithoutNamespaces(XElement.Parse(answer.Text));
            return root.Element(operation + "Result") ?? new XElement(operation + "Result");
        }
        catch (XmlException ex)
        {
            throw AwsErrors.InvalidResponse(Service, operation, answer.RequestId, ex, "XML");
        }
    }

    private static AwsServiceInfo RequireApiVersion(AwsServiceInfo service) => string.IsNullOrEmpty(service.ApiVersion)
        ? throw new ArgumentException($"{service.ServiceId} has no API version: a Query request must name one.", nameof(service))
        : service;

    private HttpRequestMessage Sign(string operation, byte[] body)
    {
        var request = NewRequest("POST", Endpoint.AbsolutePath, body);
        request.Headers["Content-Type"] = FormContentType;
        return Pipeline.Sign(request, operation, Endpoint, body);
    }
}
