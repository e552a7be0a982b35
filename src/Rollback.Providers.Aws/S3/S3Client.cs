using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// S3 over its REST protocol, as far as the module needs it: HEAD Object. It shares the awsJson client's pipeline
/// (<see cref="AwsHttpPipeline"/>: credentials, region, endpoint override, timeouts, retries, error mapping) and signs
/// with the SDK's SigV4 signer under the service name "s3", with S3's rules: no double encoding of the path and the
/// payload hash in x-amz-content-sha256. With an endpoint override (moto, MinIO, a VPC endpoint URL) the bucket goes
/// in the path (path style); against AWS in the host name (virtual-hosted style), unless the bucket name cannot be a
/// host label (dots, upper case), where AWS still serves path style.
/// <para>
/// HEAD answers carry no error body, so errors map by status and the x-amz-* headers: 404 (NoSuchKey, NoSuchVersion,
/// NoSuchBucket alike) and 405 on a delete marker to AwsResourceNotFound, 403 to AwsAccessDenied.
/// </para>
/// </summary>
internal sealed class S3Client : IS3Client
{
    /// <summary>S3's identity for signing and endpoints (botocore's metadata: signingName s3, endpointPrefix s3, serviceId S3).</summary>
    internal static readonly AwsServiceInfo Service = new("s3", "s3", string.Empty, "S3");

    private const string Operation = "HeadObject";

    private readonly AwsHttpPipeline _pipeline;

    public S3Client(AwsClientOptions options)
        : this(options, new HttpClientHandler { UseProxy = true, AllowAutoRedirect = false })
    {
    }

    public S3Client(AwsClientOptions options, HttpMessageHandler handler)
    {
        _pipeline = new AwsHttpPipeline(Service, options, handler);
    }

    public Uri Endpoint => _pipeline.Endpoint;

    public string Region => _pipeline.Region;

    public async Task<GetObjectMetadataResponse> GetObjectMetadataAsync(GetObjectMetadataRequest request, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(request.BucketName) || string.IsNullOrEmpty(request.Key))
        {
            throw new RollbackException(AwsErrorId.AwsInvalidRequest, RollbackErrorCategory.InvalidArgument,
                "S3 HeadObject needs a bucket name and a key.", request.BucketName);
        }

        AwsHttpAnswer answer;
        try
        {
            answer = await _pipeline.SendAsync(Operation, () => Sign(request), a => ReadError(a, request), cancellationToken).ConfigureAwait(false);
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsAccessDenied)
        {
            // HEAD Object has no IAM action of its own: it is allowed by s3:GetObject (s3:GetObjectVersion for a version).
            var action = string.IsNullOrEmpty(request.VersionId) ? "s3:GetObject" : "s3:GetObjectVersion";
            throw new RollbackException(ex.ErrorId, ex.Category,
                $"S3 {Operation} {Describe(request)} was refused (AWS request id {(ex.InnerException as AmazonServiceException)?.RequestId ?? "none"}). Grant the caller {action} on arn:aws:s3:::{request.BucketName}/{request.Key} (and s3:ListBucket on the bucket to tell a missing key from a refusal), or use another profile.",
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

    public void Dispose() => _pipeline.Dispose();

    /// <summary>s3://bucket/key (version v), for messages.</summary>
    internal static string Describe(GetObjectMetadataRequest request) =>
        $"s3://{request.BucketName}/{request.Key}" + (string.IsNullOrEmpty(request.VersionId) ? string.Empty : $" (version {request.VersionId})");

    /// <summary>True where the bucket can be the first label of a host name (virtual-hosted style over https).</summary>
    private static bool IsHostLabel(string bucket) =>
        bucket.Length is >= 3 and <= 63 && bucket.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
        && bucket[0] != '-' && bucket[bucket.Length - 1] != '-';

    private HttpRequestMessage Sign(GetObjectMetadataRequest request)
    {
        var endpoint = _pipeline.Endpoint;
        var basePath = endpoint.AbsolutePath.TrimEnd('/');
        string resourcePath;
        Uri authority;
        if (_pipeline.EndpointOverridden || !IsHostLabel(request.BucketName!))
        {
            authority = new Uri(endpoint.GetLeftPart(UriPartial.Authority));
            resourcePath = $"{basePath}/{request.BucketName}/{request.Key}";
        }
        else
        {
            authority = new Uri($"{endpoint.Scheme}://{request.BucketName}.{endpoint.Authority}");
            resourcePath = $"{basePath}/{request.Key}";
        }

        var signed = new DefaultRequest(new HeadObjectOperation(), Service.SigningName)
        {
            HttpMethod = "HEAD",
            Endpoint = authority,
            ResourcePath = resourcePath,
            AuthenticationRegion = Region,
            UseDoubleEncoding = false,
            // The version id is a query parameter, never a form body the signer would hash as the payload.
            UseQueryString = true,
        };
        if (!string.IsNullOrEmpty(request.VersionId))
        {
            signed.Parameters["versionId"] = request.VersionId;
        }

        // The URL the SDK itself would send for this request: the same encoding of the key and query as the signer saw.
        return _pipeline.Sign(signed, Operation, AmazonServiceClient.ComposeUrl(signed), body: null);
    }

    private static (string Code, string? Message) ReadError(AwsHttpAnswer answer, GetObjectMetadataRequest request)
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

    /// <summary>The SDK's request type wants an original request; a HEAD has no body to marshal.</summary>
    private sealed class HeadObjectOperation : AmazonWebServiceRequest
    {
    }
}
