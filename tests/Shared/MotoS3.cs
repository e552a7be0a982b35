using System;
using System.Net.Http;
using System.Text;

namespace Rollback.Testing;

/// <summary>One object version put into moto's S3: its version id and ETag (quotes removed, as CodeDeploy records it).</summary>
public sealed record S3ObjectVersion(string Bucket, string Key, string VersionId, string ETag);

/// <summary>
/// Test setup against moto's S3 itself (never through the checking endpoint: the module's requests are what gets
/// checked): versioned buckets, object versions, deleted versions and delete markers, over S3's REST API, path style.
/// </summary>
public sealed class MotoS3 : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _moto;

    public MotoS3(Uri moto)
    {
        _moto = moto;
    }

    /// <summary>A bucket name no other test uses (lower case, a valid host label).</summary>
    public static string UniqueBucket(string prefix) => $"{prefix}-{Guid.NewGuid():N}".Substring(0, Math.Min(63, prefix.Length + 33));

    public void CreateVersionedBucket(string bucket)
    {
        CreateBucket(bucket);
        SetVersioning(bucket, "Enabled");
    }

    /// <summary>A bucket whose versioning was never set.</summary>
    public void CreateBucket(string bucket) => Send(HttpMethod.Put, bucket, null).Dispose();

    /// <summary>Enabled or Suspended.</summary>
    public void SetVersioning(string bucket, string status) => Send(HttpMethod.Put, bucket + "?versioning",
        "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>" + status + "</Status></VersioningConfiguration>").Dispose();

    /// <summary>The current content of a key, or null when it does not exist (or its newest entry is a delete marker).</summary>
    public string? Read(string bucket, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_moto, $"{bucket}/{key}"));
        Authorize(request, "s3");
        using var response = _http.Send(request);
        request.Dispose();
        return response.IsSuccessStatusCode ? response.Content.ReadAsStringAsync().GetAwaiter().GetResult() : null;
    }

    public S3ObjectVersion Put(string bucket, string key, string content)
    {
        using var response = Send(HttpMethod.Put, $"{bucket}/{key}", content);
        // Without versioning S3 names no version: the object's version id is then "null".
        var version = response.Headers.TryGetValues("x-amz-version-id", out var versions) ? string.Join(",", versions) : "null";
        return new S3ObjectVersion(bucket, key, version, response.Headers.ETag!.Tag.Trim('"'));
    }

    /// <summary>Deletes one version for good (DELETE ?versionId=).</summary>
    public void DeleteVersion(S3ObjectVersion version) => Send(HttpMethod.Delete, $"{version.Bucket}/{version.Key}?versionId={Uri.EscapeDataString(version.VersionId)}", null).Dispose();

    /// <summary>DELETE without a version: S3 puts a delete marker on top; returns the marker's version id.</summary>
    public string PutDeleteMarker(string bucket, string key)
    {
        using var response = Send(HttpMethod.Delete, $"{bucket}/{key}", null);
        return response.Headers.TryGetValues("x-amz-version-id", out var versions) ? string.Join(",", versions) : throw new InvalidOperationException("moto put no delete marker.");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>moto takes the account from the credential scope; the signature itself is not checked there.</summary>
    internal static void Authorize(HttpRequestMessage request, string service) =>
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsTestEndpoint.AccessKey}/20250101/{AwsTestEndpoint.Region}/{service}/aws4_request, SignedHeaders=host, Signature=0");

    private HttpResponseMessage Send(HttpMethod method, string pathAndQuery, string? body)
    {
        var request = new HttpRequestMessage(method, new Uri(_moto, pathAndQuery));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/octet-stream");
        }

        Authorize(request, "s3");
        var response = _http.Send(request);
        request.Dispose();
        if (!response.IsSuccessStatusCode)
        {
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            response.Dispose();
            throw new InvalidOperationException($"moto S3 {method} /{pathAndQuery} failed: {(int)response.StatusCode} {text}");
        }

        return response;
    }
}

/// <summary>
/// A fresh versioned bucket in moto for one test, with the SigV4-checking endpoint for S3 in front of moto: what the
/// module sends goes to <see cref="Endpoint"/> (checked with botocore's S3 signer), the setup goes to moto through
/// <see cref="Objects"/>.
/// </summary>
public sealed class S3TestBucket : IDisposable
{
    public S3TestBucket(Uri moto, string prefix)
    {
        Endpoint = AwsTestEndpoint.ForMoto(moto, "s3");
        Objects = new MotoS3(moto);
        Name = MotoS3.UniqueBucket(prefix);
        Objects.CreateVersionedBucket(Name);
    }

    public AwsTestEndpoint Endpoint { get; }

    public MotoS3 Objects { get; }

    public string Name { get; }

    public void Dispose()
    {
        Endpoint.Dispose();
        Objects.Dispose();
    }
}
