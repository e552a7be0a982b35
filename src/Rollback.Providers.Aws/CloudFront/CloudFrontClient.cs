using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.CloudFront;

/// <summary>CloudFront over the shared restXml client (signing name "cloudfront", signed for us-east-1, API version 2020-05-31).</summary>
internal sealed class CloudFrontClient : ICloudFrontClient, IReportingAwsClient
{
    private const string Version = "/2020-05-31";
    private static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    private readonly AwsRestXmlClient _client;

    public CloudFrontClient(AwsClientOptions options)
    {
        _client = new AwsRestXmlClient(AwsServiceInfo.CloudFront, options);
    }

    /// <inheritdoc cref="AwsProtocolClient.Reporter"/>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public async Task<GetDistributionResponse> GetDistributionAsync(GetDistributionRequest request, CancellationToken cancellationToken = default)
    {
        var (root, etag) = await _client.InvokeAsync("GetDistribution", "GET", Version + "/distribution/{Id}",
            new Dictionary<string, string> { ["Id"] = request.Id ?? string.Empty }, null, null, cancellationToken).ConfigureAwait(false);
        var config = root.Child("DistributionConfig");
        return new GetDistributionResponse
        {
            ETag = etag,
            Distribution = new Distribution
            {
                Id = root.Text("Id"),
                ARN = root.Text("ARN"),
                Status = root.Text("Status"),
                DomainName = root.Text("DomainName"),
                DefaultRootObject = config.Text("DefaultRootObject"),
                Origins = (config.Child("Origins").Child("Items")?.Elements("Origin") ?? Enumerable.Empty<XElement>())
                    .Select(o => new Origin { Id = o.Text("Id"), DomainName = o.Text("DomainName"), OriginPath = o.Text("OriginPath") })
                    .ToList(),
            },
        };
    }

    public async Task<CreateInvalidationResponse> CreateInvalidationAsync(CreateInvalidationRequest request, CancellationToken cancellationToken = default)
    {
        var batch = request.InvalidationBatch;
        var body = new XElement(Ns + "InvalidationBatch",
            new XElement(Ns + "Paths",
                new XElement(Ns + "Quantity", batch.Paths.Count),
                new XElement(Ns + "Items", batch.Paths.Select(p => new XElement(Ns + "Path", p)))),
            new XElement(Ns + "CallerReference", batch.CallerReference));
        var (root, _) = await _client.InvokeAsync("CreateInvalidation", "POST", Version + "/distribution/{DistributionId}/invalidation",
            new Dictionary<string, string> { ["DistributionId"] = request.DistributionId ?? string.Empty }, null, body, cancellationToken).ConfigureAwait(false);
        return new CreateInvalidationResponse { Invalidation = ReadInvalidation(root) };
    }

    public async Task<GetInvalidationResponse> GetInvalidationAsync(GetInvalidationRequest request, CancellationToken cancellationToken = default)
    {
        var (root, _) = await _client.InvokeAsync("GetInvalidation", "GET", Version + "/distribution/{DistributionId}/invalidation/{Id}",
            new Dictionary<string, string> { ["DistributionId"] = request.DistributionId ?? string.Empty, ["Id"] = request.Id ?? string.Empty }, null, null, cancellationToken).ConfigureAwait(false);
        return new GetInvalidationResponse { Invalidation = ReadInvalidation(root) };
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The Invalidation element (the root of both answers).</summary>
    private static Invalidation ReadInvalidation(XElement? root) => new()
    {
        Id = root.Text("Id"),
        Status = root.Text("Status"),
        CreateTime = root.Time("CreateTime"),
        Paths = (root.Child("InvalidationBatch").Child("Paths").Child("Items")?.Elements("Path") ?? Enumerable.Empty<XElement>()).Select(p => p.Value).ToList(),
    };
}
