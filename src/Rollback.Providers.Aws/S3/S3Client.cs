using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using Amazon.Runtime;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Store;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// S3 over its REST protocol, as far as the module needs it: HEAD Object, GET Object (small text objects, or an
/// artifact's bytes), PutObject (a whole file with its SHA-256), GET Bucket versioning, ListObjectVersions, CopyObject
/// from a version, DeleteObject (a version). It shares the awsJson client's pipeline
/// (<see cref="AwsHttpPipeline"/>: credentials, region, endpoint override, timeouts, retries, error mapping) and signs
/// with the SDK's SigV4 signer under the service name "s3", with S3's rules: no double encoding of the path and the
/// payload hash in x-amz-content-sha256. With an endpoint override (moto, MinIO, a VPC endpoint URL) the bucket goes
/// in the path (path style); against AWS in the host name (virtual-hosted style), unless the bucket name cannot be a
/// host label (dots, upper case), where AWS still serves path style.
/// <para>
/// HEAD answers carry no error body, so their errors map by status and the x-amz-* headers: 404 (NoSuchKey,
/// NoSuchVersion, NoSuchBucket alike) and 405 on a delete marker to AwsResourceNotFound, 403 to AwsAccessDenied. The
/// other operations' errors are read from S3's XML error body (NoSuchBucket, AccessDenied, SlowDown...).
/// </para>
/// </summary>
internal sealed class S3Client : AwsProtocolClient, IS3Client, IReportingAwsClient
{
    /// <summary>S3's identity for signing and endpoints (botocore's metadata: signingName s3, endpointPrefix s3, serviceId S3).</summary>
    internal static readonly AwsServiceInfo S3Service = new("s3", "s3", string.Empty, "S3");

    /// <summary>The largest object GetObjectAsync reads (a version marker, never a site's content).</summary>
    internal const int MaxObjectBytes = 64 * 1024;

    public S3Client(AwsClientOptions options, HttpMessageHandler? handler = null)
        : base(S3Service, options, handler)
    {
    }

    public async Task<GetObjectMetadataResponse> GetObjectMetadataAsync(GetObjectMetadataRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "HeadObject";
        RequireKey(operation, request.BucketName, request.Key);
        AwsHttpAnswer answer;
        try
        {
            answer = await Pipeline.SendAsync(operation, () => Sign(operation, "HEAD", request.BucketName!, request.Key, VersionQuery(request.VersionId), null),
                a => ReadHeadError(a, request), cancellationToken).ConfigureAwait(false);
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsAccessDenied)
        {
            // HEAD Object has no IAM action of its own: it is allowed by s3:GetObject (s3:GetObjectVersion for a version).
            var action = string.IsNullOrEmpty(request.VersionId) ? "s3:GetObject" : "s3:GetObjectVersion";
            throw new RollbackException(ex.ErrorId, ex.Category,
                $"S3 {operation} {Describe(request)} was refused (AWS request id {(ex.InnerException as AmazonServiceException)?.RequestId ?? "none"}). Grant the caller {action} on arn:aws:s3:::{request.BucketName}/{request.Key} (and s3:ListBucket on the bucket to tell a missing key from a refusal), or use another profile.",
                ex.TargetObject, ex.InnerException);
        }

        return new GetObjectMetadataResponse
        {
            VersionId = answer.Header("x-amz-version-id"),
            ETag = answer.Header("ETag"),
            ContentLength = long.TryParse(answer.Header("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : 0,
            LastModified = DateTime.TryParse(answer.Header("Last-Modified"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var modified) ? modified : null,
            DeleteMarker = answer.Header("x-amz-delete-marker"),
            RequestId = answer.RequestId,
        };
    }

    public async Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "GetObject";
        RequireKey(operation, request.BucketName, request.Key);
        var what = Describe(request.BucketName, request.Key, request.VersionId);
        var answer = await Send(operation, "GET", request.BucketName!, request.Key, VersionQuery(request.VersionId), null, what, cancellationToken).ConfigureAwait(false);
        if (Encoding.UTF8.GetByteCount(answer.Text) > MaxObjectBytes)
        {
            throw new RollbackException(AwsErrorId.AwsInvalidRequest, RollbackErrorCategory.InvalidData,
                $"{what} is larger than {MaxObjectBytes / 1024} KB: the module reads only small text objects (a version marker) whole.", what);
        }

        return new GetObjectResponse { VersionId = answer.Header("x-amz-version-id"), ETag = answer.Header("ETag"), ContentBody = answer.Text, RequestId = answer.RequestId };
    }

    public async Task<GetBucketVersioningResponse> GetBucketVersioningAsync(GetBucketVersioningRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "GetBucketVersioning";
        RequireKey(operation, request.BucketName, "-");
        var answer = await Send(operation, "GET", request.BucketName!, null, new Dictionary<string, string?> { ["versioning"] = string.Empty }, null, $"s3://{request.BucketName}", cancellationToken).ConfigureAwait(false);
        var root = Parse(operation, answer);
        // A bucket whose versioning was never set answers an empty configuration: "Off" (AWS names no status then).
        return new GetBucketVersioningResponse { VersioningConfig = new S3BucketVersioningConfig { Status = root.Text("Status") ?? "Off" } };
    }

    public async Task<ListVersionsResponse> ListVersionsAsync(ListVersionsRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "ListObjectVersions";
        RequireKey(operation, request.BucketName, "-");
        var query = new Dictionary<string, string?>
        {
            ["versions"] = string.Empty,
            ["prefix"] = string.IsNullOrEmpty(request.Prefix) ? null : request.Prefix,
            ["key-marker"] = string.IsNullOrEmpty(request.KeyMarker) ? null : request.KeyMarker,
            ["version-id-marker"] = string.IsNullOrEmpty(request.VersionIdMarker) ? null : request.VersionIdMarker,
            ["max-keys"] = request.MaxKeys > 0 ? request.MaxKeys.ToString(CultureInfo.InvariantCulture) : null,
        };
        var answer = await Send(operation, "GET", request.BucketName!, null, query, null, $"s3://{request.BucketName}/{request.Prefix}", cancellationToken).ConfigureAwait(false);
        var root = Parse(operation, answer);
        var versions = new List<S3ObjectVersion>();
        foreach (var element in root.Elements())
        {
            var marker = element.Name.LocalName == "DeleteMarker";
            if (!marker && element.Name.LocalName != "Version")
            {
                continue;
            }

            versions.Add(new S3ObjectVersion
            {
                BucketName = request.BucketName,
                Key = element.Text("Key"),
                VersionId = element.Text("VersionId"),
                IsLatest = element.Bool("IsLatest") == true,
                IsDeleteMarker = marker,
                ETag = element.Text("ETag"),
                Size = element.Long("Size") ?? 0,
                LastModified = element.Time("LastModified"),
            });
        }

        return new ListVersionsResponse
        {
            Versions = versions,
            IsTruncated = root.Bool("IsTruncated") == true,
            NextKeyMarker = root.Text("NextKeyMarker"),
            NextVersionIdMarker = root.Text("NextVersionIdMarker"),
        };
    }

    public async Task<CopyObjectResponse> CopyObjectAsync(CopyObjectRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "CopyObject";
        RequireKey(operation, request.SourceBucket, request.SourceKey);
        RequireKey(operation, request.DestinationBucket, request.DestinationKey);
        var source = "/" + request.SourceBucket + "/" + EscapeKey(request.SourceKey!) + (string.IsNullOrEmpty(request.SourceVersionId) ? string.Empty : "?versionId=" + Uri.EscapeDataString(request.SourceVersionId));
        var headers = new Dictionary<string, string> { ["x-amz-copy-source"] = source };
        var what = $"{Describe(request.DestinationBucket, request.DestinationKey, null)} from {Describe(request.SourceBucket, request.SourceKey, request.SourceVersionId)}";
        var answer = await Send(operation, "PUT", request.DestinationBucket!, request.DestinationKey, null, headers, what, cancellationToken).ConfigureAwait(false);
        var root = Parse(operation, answer);
        if (root.Name.LocalName == "Error")
        {
            // S3 may answer 200 and fail the copy after it started: the error is then in the body.
            var (code, message) = AwsErrors.ReadXmlError(answer);
            throw AwsErrors.FromResponse(S3Service, operation, HttpStatusCode.InternalServerError, code, $"{what}: {message}", answer.RequestId, 1);
        }

        return new CopyObjectResponse
        {
            VersionId = answer.Header("x-amz-version-id"),
            SourceVersionId = answer.Header("x-amz-copy-source-version-id"),
            ETag = root.Text("ETag"),
            RequestId = answer.RequestId,
        };
    }

    public async Task<DeleteObjectResponse> DeleteObjectAsync(DeleteObjectRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "DeleteObject";
        RequireKey(operation, request.BucketName, request.Key);
        var answer = await Send(operation, "DELETE", request.BucketName!, request.Key, VersionQuery(request.VersionId), null, Describe(request.BucketName, request.Key, request.VersionId), cancellationToken).ConfigureAwait(false);
        return new DeleteObjectResponse
        {
            VersionId = answer.Header("x-amz-version-id"),
            DeleteMarker = answer.Header("x-amz-delete-marker"),
            RequestId = answer.RequestId,
        };
    }

    public async Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "PutObject";
        RequireKey(operation, request.BucketName, request.Key);
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/octet-stream" };
        if (!string.IsNullOrEmpty(request.ChecksumSHA256))
        {
            // As the SDKs send it: the algorithm named too (S3-compatible servers such as moto keep the checksum only then).
            headers["x-amz-sdk-checksum-algorithm"] = "SHA256";
            headers["x-amz-checksum-sha256"] = request.ChecksumSHA256!;
        }

        foreach (var metadata in request.Metadata)
        {
            headers["x-amz-meta-" + metadata.Key.ToLowerInvariant()] = metadata.Value;
        }

        var what = Describe(request.BucketName, request.Key, null);
        var answer = await Pipeline.SendAsync(operation, () => Sign(operation, "PUT", request.BucketName!, request.Key, null, headers, request.Content),
            a => ReadError(a, what), cancellationToken).ConfigureAwait(false);
        return new PutObjectResponse
        {
            VersionId = answer.Header("x-amz-version-id"),
            ETag = answer.Header("ETag"),
            ChecksumSHA256 = answer.Header("x-amz-checksum-sha256"),
            RequestId = answer.RequestId,
        };
    }

    public async Task<GetObjectContentResponse> GetObjectContentAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        const string operation = "GetObject";
        RequireKey(operation, request.BucketName, request.Key);
        var headers = new Dictionary<string, string> { ["x-amz-checksum-mode"] = "ENABLED" };
        var answer = await Send(operation, "GET", request.BucketName!, request.Key, VersionQuery(request.VersionId), headers, Describe(request.BucketName, request.Key, request.VersionId), cancellationToken).ConfigureAwait(false);
        var response = new GetObjectContentResponse
        {
            VersionId = answer.Header("x-amz-version-id"),
            Content = answer.Body,
            ChecksumSHA256 = answer.Header("x-amz-checksum-sha256"),
            RequestId = answer.RequestId,
        };
        foreach (var header in answer.Headers.Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase)))
        {
            response.Metadata[header.Key.Substring("x-amz-meta-".Length)] = header.Value;
        }

        return response;
    }

    /// <summary>s3://bucket/key (version v), for messages.</summary>
    internal static string Describe(GetObjectMetadataRequest request) => Describe(request.BucketName, request.Key, request.VersionId);

    internal static string Describe(string? bucket, string? key, string? version) =>
        $"s3://{bucket}/{key}" + (string.IsNullOrEmpty(version) ? string.Empty : $" (version {version})");

    private static void RequireKey(string operation, string? bucket, string? key)
    {
        if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key))
        {
            throw new RollbackException(AwsErrorId.AwsInvalidRequest, RollbackErrorCategory.InvalidArgument,
                $"S3 {operation} needs a bucket name{(key == "-" ? string.Empty : " and a key")}.", bucket);
        }
    }

    private static Dictionary<string, string?>? VersionQuery(string? version) =>
        string.IsNullOrEmpty(version) ? null : new Dictionary<string, string?> { ["versionId"] = version };

    /// <summary>A key as it travels in x-amz-copy-source: each segment URL-encoded, the slashes kept.</summary>
    private static string EscapeKey(string key) => string.Join("/", key.Split('/').Select(Uri.EscapeDataString));

    /// <summary>True where the bucket can be the first label of a host name (virtual-hosted style over https).</summary>
    private static bool IsHostLabel(string bucket) =>
        bucket.Length is >= 3 and <= 63 && bucket.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
        && bucket[0] != '-' && bucket[bucket.Length - 1] != '-';

    private static XElement Parse(string operation, AwsHttpAnswer answer)
    {
        try
        {
            return AwsQueryXml.WithoutNamespaces(XElement.Parse(answer.Text));
        }
        catch (XmlException ex)
        {
            throw AwsErrors.InvalidResponse(S3Service, operation, answer.RequestId, ex, "XML");
        }
    }

    private Task<AwsHttpAnswer> Send(string operation, string method, string bucket, string? key, IReadOnlyDictionary<string, string?>? query,
        IReadOnlyDictionary<string, string>? headers, string what, CancellationToken cancellation) =>
        Pipeline.SendAsync(operation, () => Sign(operation, method, bucket, key, query, headers), answer => ReadError(answer, what), cancellation);

    private static (string Code, string? Message) ReadError(AwsHttpAnswer answer, string what)
    {
        var (code, message) = AwsErrors.ReadXmlError(answer);
        return (code, $"{what}: {message ?? (answer.Status == HttpStatusCode.NotFound ? "not found" : "refused")}");
    }

    /// <summary>One signed attempt; a query value that is empty is a sub-resource (?versions), one that is null is left out.</summary>
    private HttpRequestMessage Sign(string operation, string method, string bucket, string? key, IReadOnlyDictionary<string, string?>? query, IReadOnlyDictionary<string, string>? headers, byte[]? content = null)
    {
        var endpoint = Pipeline.Endpoint;
        var basePath = endpoint.AbsolutePath.TrimEnd('/');
        string resourcePath;
        Uri authority;
        if (Pipeline.EndpointOverridden || !IsHostLabel(bucket))
        {
            authority = new Uri(endpoint.GetLeftPart(UriPartial.Authority));
            // A bucket operation names the bucket alone: "/bucket", not "/bucket/" (an empty key).
            resourcePath = key is null ? $"{basePath}/{bucket}" : $"{basePath}/{bucket}/{key}";
        }
        else
        {
            authority = new Uri($"{endpoint.Scheme}://{bucket}.{endpoint.Authority}");
            resourcePath = $"{basePath}/{key}";
        }

        var signed = NewRequest(method, resourcePath, content);
        signed.Endpoint = authority;
        signed.UseDoubleEncoding = false;
        // Query parameters are in the URL, never a form body the signer would hash as the payload.
        signed.UseQueryString = true;
        foreach (var parameter in query ?? new Dictionary<string, string?>())
        {
            if (parameter.Value is null)
            {
                continue;
            }

            if (parameter.Value.Length == 0)
            {
                signed.AddSubResource(parameter.Key);
            }
            else
            {
                signed.Parameters[parameter.Key] = parameter.Value;
            }
        }

        foreach (var header in headers ?? new Dictionary<string, string>())
        {
            signed.Headers[header.Key] = header.Value;
        }

        // The URL the SDK itself would send for this request: the same encoding of the key and query as the signer saw.
        if (content is not null)
        {
            // The payload's hash is signed (x-amz-content-sha256), as the SDK's S3 client signs a PutObject over http.
            using var sha = System.Security.Cryptography.SHA256.Create();
            signed.Headers["x-amz-content-sha256"] = Checksums.ToHex(sha.ComputeHash(content));
        }

        return Pipeline.Sign(signed, operation, AmazonServiceClient.ComposeUrl(signed), content);
    }

    private static (string Code, string? Message) ReadHeadError(AwsHttpAnswer answer, GetObjectMetadataRequest request)
    {
        // Some S3-compatible servers name the error in headers; AWS names nothing in a HEAD answer.
        var named = AwsErrors.NormalizeCode(answer.Header("x-amz-error-code"));
        var detail = answer.Header("x-amz-error-message");
        var deleteMarker = string.Equals(answer.Header("x-amz-delete-marker"), "true", StringComparison.OrdinalIgnoreCase);
        var what = Describe(request);
        switch (answer.Status)
        {
            case HttpStatusCode.NotFound:
                // As the SDK reports a HEAD 404: NotFound, whichever of NoSuchBucket, NoSuchKey or NoSuchVersion it was.
                return ("NotFound", deleteMarker
                    ? $"{what}: the object's current version is a delete marker"
                    : $"{what} does not exist ({(named.Length == 0 ? "no such bucket, key or version" : named)}{(detail is null ? string.Empty : ": " + detail)})");
            case HttpStatusCode.MethodNotAllowed when deleteMarker:
                return ("NotFound", $"{what} is a delete marker, not an object");
            case HttpStatusCode.Forbidden:
                return (named, $"{what}: access denied{(detail is null ? string.Empty : ": " + detail)}; S3 also answers 403 for a missing key when the caller may not list the bucket");
            case HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect or HttpStatusCode.Redirect:
                return (named.Length == 0 ? "PermanentRedirect" : named,
                    $"{what}: the bucket is in another region ({answer.Header("x-amz-bucket-region") ?? "unknown"}); set the target's Region to it");
            default:
                return (named, $"{what}{(detail is null ? string.Empty : ": " + detail)}");
        }
    }
}
