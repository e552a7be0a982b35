using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using System.Xml.Linq;

namespace Rollback.Testing;

/// <summary>
/// A static site for the S3StaticSite tests: a versioned bucket in moto with the site under a prefix, a CloudFront
/// distribution in moto whose origin is that bucket and prefix, the SigV4-checking endpoints for S3 and CloudFront in
/// front of moto (what the module sends), and <see cref="Edge"/>, a loopback HTTP server standing in for the CDN edge.
/// Setup talks to moto directly.
/// </summary>
public sealed class MotoStaticSite : IDisposable
{
    public const string Prefix = "site/";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;

    public MotoStaticSite(Uri moto, bool versioned = true)
    {
        _moto = moto;
        S3Endpoint = AwsTestEndpoint.ForMoto(moto, "s3");
        CloudFrontEndpoint = AwsTestEndpoint.ForMoto(moto, "cloudfront");
        Objects = new MotoS3(moto);
        Bucket = MotoS3.UniqueBucket("rollback-site");
        if (versioned)
        {
            Objects.CreateVersionedBucket(Bucket);
        }
        else
        {
            Objects.CreateBucket(Bucket);
        }

        DistributionId = CreateDistribution();
        Edge = new CachingEdge(this);
    }

    public AwsTestEndpoint S3Endpoint { get; }

    public AwsTestEndpoint CloudFrontEndpoint { get; }

    public MotoS3 Objects { get; }

    public string Bucket { get; }

    public string DistributionId { get; }

    /// <summary>The site as viewers see it: serves the prefix's objects, and caches each path until an invalidation in moto names it.</summary>
    public CachingEdge Edge { get; }

    /// <summary>Puts the site's files (relative to the prefix); returns each one's version.</summary>
    public IReadOnlyDictionary<string, S3ObjectVersion> Deploy(params (string Path, string Content)[] files) =>
        files.ToDictionary(f => f.Path, f => Objects.Put(Bucket, Prefix + f.Path, f.Content), StringComparer.Ordinal);

    /// <summary>The paths of every invalidation moto holds for the distribution, in the order created.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Invalidations()
    {
        var list = Send(HttpMethod.Get, $"2020-05-31/distribution/{DistributionId}/invalidation", null);
        var ids = list.Descendants().Where(e => e.Name.LocalName == "InvalidationSummary").Select(e => e.Elements().First(c => c.Name.LocalName == "Id").Value).ToList();
        return ids.Select(id => (IReadOnlyList<string>)Send(HttpMethod.Get, $"2020-05-31/distribution/{DistributionId}/invalidation/{id}", null)
            .Descendants().Where(e => e.Name.LocalName == "Path").Select(e => e.Value).ToList()).ToList();
    }

    public void Dispose()
    {
        Edge.Dispose();
        S3Endpoint.Dispose();
        CloudFrontEndpoint.Dispose();
        Objects.Dispose();
        _http.Dispose();
    }

    private string CreateDistribution()
    {
        XNamespace ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
        var config = new XElement(ns + "DistributionConfig",
            new XElement(ns + "CallerReference", Guid.NewGuid().ToString("N")),
            new XElement(ns + "DefaultRootObject", "index.html"),
            new XElement(ns + "Origins", new XElement(ns + "Quantity", 1), new XElement(ns + "Items",
                new XElement(ns + "Origin",
                    new XElement(ns + "Id", "site"),
                    new XElement(ns + "DomainName", Bucket + ".s3.amazonaws.com"),
                    new XElement(ns + "OriginPath", "/" + Prefix.TrimEnd('/')),
                    new XElement(ns + "S3OriginConfig", new XElement(ns + "OriginAccessIdentity", string.Empty))))),
            new XElement(ns + "DefaultCacheBehavior",
                new XElement(ns + "TargetOriginId", "site"),
                new XElement(ns + "ViewerProtocolPolicy", "allow-all"),
                new XElement(ns + "MinTTL", 0),
                new XElement(ns + "ForwardedValues", new XElement(ns + "QueryString", false), new XElement(ns + "Cookies", new XElement(ns + "Forward", "none"))),
                new XElement(ns + "TrustedSigners", new XElement(ns + "Enabled", false), new XElement(ns + "Quantity", 0))),
            new XElement(ns + "Comment", "rollback test site"),
            new XElement(ns + "Enabled", true));
        var created = Send(HttpMethod.Post, "2020-05-31/distribution", config.ToString());
        return created.Elements().First(e => e.Name.LocalName == "Id").Value;
    }

    private XElement Send(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(_moto, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/xml");
        }

        MotoS3.Authorize(request, "cloudfront");
        using var response = _http.Send(request);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"moto CloudFront {method} /{path} failed: {(int)response.StatusCode} {text}");
        }

        return XDocument.Parse(text).Root!;
    }

    /// <summary>
    /// The CDN edge, on 127.0.0.1: GET /path answers the current object at prefix + path from moto (/ is index.html),
    /// and keeps answering what it first read until an invalidation in moto names that path (or /*). So the site shows
    /// the rolled-back content only when the rollback invalidated the right paths.
    /// </summary>
    public sealed class CachingEdge : LoopbackHttpServer
    {
        private readonly MotoStaticSite _site;
        private readonly ConcurrentDictionary<string, string?> _cache = new(StringComparer.Ordinal);
        private readonly object _gate = new();
        private int _invalidationsSeen;

        public CachingEdge(MotoStaticSite site)
        {
            _site = site;
        }

        /// <summary>How many requests the edge answered from its cache.</summary>
        public int Hits { get; private set; }

        protected override Task HandleAsync(HttpListenerContext context)
        {
            var path = context.Request.Url!.AbsolutePath;
            string? body;
            lock (_gate)
            {
                var invalidations = _site.Invalidations();
                foreach (var paths in invalidations.Skip(_invalidationsSeen))
                {
                    foreach (var invalidated in paths)
                    {
                        foreach (var cached in _cache.Keys.Where(k => invalidated == k || (invalidated.EndsWith('*') && k.StartsWith(invalidated.TrimEnd('*'), StringComparison.Ordinal))).ToList())
                        {
                            _cache.TryRemove(cached, out _);
                        }
                    }
                }

                _invalidationsSeen = invalidations.Count;
                if (_cache.TryGetValue(path, out body))
                {
                    Hits++;
                }
                else
                {
                    var key = Prefix + Uri.UnescapeDataString(path.TrimStart('/')) + (path.EndsWith('/') ? "index.html" : string.Empty);
                    body = _site.Objects.Read(_site.Bucket, key);
                    _cache[path] = body;
                }
            }

            return body is null ? RespondAsync(context, 404, "text/plain", "not found") : RespondAsync(context, 200, "text/plain", body);
        }
    }
}
