using System;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rollback.Errors;

namespace Rollback.Verification;

/// <summary>
/// Trusting one given certificate, and nothing else: a server whose certificate passes the platform's validation is
/// accepted as always; one that does not is accepted only when it presents exactly the given certificate, within its
/// validity dates. Validation is never switched off.
/// </summary>
public static class TrustedCertificate
{
    private const string PemBegin = "-----BEGIN CERTIFICATE-----";
    private const string PemEnd = "-----END CERTIFICATE-----";

    /// <summary>
    /// Loads the certificate to trust from a .cer (DER) or .pem file, or finds it by SHA-1 thumbprint in the
    /// current user's and the machine's certificate stores.
    /// </summary>
    public static X509Certificate2 Load(string pathOrThumbprint, string? basePath = null)
    {
        var candidate = basePath is null ? pathOrThumbprint : Path.Combine(basePath, pathOrThumbprint);
        if (File.Exists(candidate))
        {
            return FromFile(candidate);
        }

        var thumbprint = new string(pathOrThumbprint.Where(c => !char.IsWhiteSpace(c) && c != ':').ToArray());
        if (thumbprint.Length == 40 && thumbprint.All(Uri.IsHexDigit))
        {
            foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                var found = FindInStore(location, thumbprint);
                if (found is not null)
                {
                    return found;
                }
            }

            throw Invalid($"No certificate with the thumbprint {thumbprint} is in the CurrentUser or LocalMachine 'My' store. Give the path of its .cer or .pem file instead.", pathOrThumbprint);
        }

        throw Invalid($"'{pathOrThumbprint}' is neither a certificate file (.cer or .pem) nor a 40-digit thumbprint.", pathOrThumbprint);
    }

    public static X509Certificate2 FromFile(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var text = Encoding.ASCII.GetString(bytes);
            var begin = text.IndexOf(PemBegin, StringComparison.Ordinal);
            if (begin >= 0)
            {
                var end = text.IndexOf(PemEnd, begin, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Invalid($"The PEM file '{path}' has no '{PemEnd}' line.", path);
                }

                var base64 = text.Substring(begin + PemBegin.Length, end - begin - PemBegin.Length);
                bytes = Convert.FromBase64String(new string(base64.Where(c => !char.IsWhiteSpace(c)).ToArray()));
            }

            return new X509Certificate2(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw Invalid($"The certificate file '{path}' cannot be read: {ex.Message}", path, ex);
        }
    }

    /// <summary>
    /// The decision the handler's validation callback makes: the platform's verdict when it has no complaint; otherwise
    /// accept only the given certificate itself (same bytes), and only while it is valid in time.
    /// </summary>
    public static bool Accepts(X509Certificate2 trusted, X509Certificate2? presented, SslPolicyErrors errors, DateTime? now = null)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (presented is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        var at = now ?? DateTime.Now;
        return presented.RawData.SequenceEqual(trusted.RawData) && at >= presented.NotBefore && at <= presented.NotAfter;
    }

    /// <summary>The callback for HttpClientHandler.ServerCertificateCustomValidationCallback.</summary>
    public static Func<System.Net.Http.HttpRequestMessage, X509Certificate2?, X509Chain?, SslPolicyErrors, bool> Callback(X509Certificate2 trusted) =>
        (_, presented, _, errors) => Accepts(trusted, presented, errors);

    private static X509Certificate2? FindInStore(StoreLocation location, string thumbprint)
    {
        try
        {
            using var store = new X509Store(StoreName.My, location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            return found.Count > 0 ? found[0] : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static RollbackException Invalid(string message, string value, Exception? inner = null) =>
        new(RollbackErrorId.TrustedCertificateInvalid, RollbackErrorCategory.InvalidArgument, message, value, inner);
}
