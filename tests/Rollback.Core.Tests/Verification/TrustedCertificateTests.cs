using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Verification;
using Xunit;

namespace Rollback.Tests.Verification;

/// <summary>Trusting one given certificate: the callback's decision, loading the certificate, and a real TLS endpoint on loopback.</summary>
public sealed class TrustedCertificateTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly X509Certificate2 _serverCertificate = SelfSigned("CN=localhost", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    private readonly X509Certificate2 _otherCertificate = SelfSigned("CN=localhost", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    public void Dispose()
    {
        _serverCertificate.Dispose();
        _otherCertificate.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void PlatformValidationThatPassesIsKept()
    {
        Assert.True(TrustedCertificate.Accepts(_serverCertificate, _otherCertificate, SslPolicyErrors.None));
    }

    [Fact]
    public void ExactlyTheTrustedCertificateIsAcceptedDespiteChainErrors()
    {
        using var publicPart = PublicPart(_serverCertificate);

        Assert.True(TrustedCertificate.Accepts(publicPart, _serverCertificate, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(TrustedCertificate.Accepts(publicPart, _serverCertificate, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
    }

    [Fact]
    public void AnyOtherCertificateIsRefused()
    {
        Assert.False(TrustedCertificate.Accepts(_serverCertificate, _otherCertificate, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(TrustedCertificate.Accepts(_serverCertificate, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.False(TrustedCertificate.Accepts(_serverCertificate, _serverCertificate, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void TrustedCertificateOutsideItsValidityIsRefused()
    {
        using var expired = SelfSigned("CN=localhost", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

        Assert.False(TrustedCertificate.Accepts(expired, expired, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void LoadsPemAndDerFiles()
    {
        var pem = Path.Combine(_folder.Path, "server.pem");
        var der = Path.Combine(_folder.Path, "server.cer");
        File.WriteAllText(pem, "subject=CN = localhost\n" + _serverCertificate.ExportCertificatePem() + "\n");
        File.WriteAllBytes(der, _serverCertificate.Export(X509ContentType.Cert));

        using var fromPem = TrustedCertificate.Load(pem);
        using var fromDer = TrustedCertificate.Load(der);

        Assert.Equal(_serverCertificate.Thumbprint, fromPem.Thumbprint);
        Assert.Equal(_serverCertificate.Thumbprint, fromDer.Thumbprint);
    }

    [Theory]
    [InlineData("no-such-file.pem")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567")]
    public void UnusableCertificateIsTrustedCertificateInvalid(string value)
    {
        var error = Assert.Throws<RollbackException>(() => TrustedCertificate.Load(value, _folder.Path));

        Assert.Equal(RollbackErrorId.TrustedCertificateInvalid, error.ErrorId);
    }

    [Fact]
    public void DamagedCertificateFileIsTrustedCertificateInvalid()
    {
        var path = Path.Combine(_folder.Path, "broken.pem");
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<RollbackException>(() => TrustedCertificate.Load(path));

        Assert.Equal(RollbackErrorId.TrustedCertificateInvalid, error.ErrorId);
    }

    [Fact]
    public void TlsEndpointWithAnUntrustedCertificateIsRefusedUnlessThatCertificateIsTrusted()
    {
        using var server = new TlsServer(_serverCertificate, """{"status":"Healthy","version":"v2.3.1"}""");
        using var trusted = PublicPart(_serverCertificate);
        var probe = new HealthProbe();
        var options = new HealthProbeOptions { Uri = server.Uri, ExpectedVersion = "v2.3.1", Timeout = TimeSpan.FromMilliseconds(500), RetryInterval = TimeSpan.FromMilliseconds(200) };

        var untrusted = probe.Check(options, OperationContext.None);
        var pinned = probe.Check(new HealthProbeOptions { Uri = server.Uri, ExpectedVersion = "v2.3.1", TrustedCertificate = trusted }, OperationContext.None);
        var wrongPin = probe.Check(new HealthProbeOptions { Uri = server.Uri, TrustedCertificate = _otherCertificate, Timeout = TimeSpan.FromMilliseconds(500) }, OperationContext.None);

        Assert.Equal(RollbackErrorId.HealthEndpointUnreachable, untrusted.ErrorId);
        Assert.True(pinned.Healthy, pinned.Detail);
        Assert.Equal(RollbackErrorId.HealthEndpointUnreachable, wrongPin.ErrorId);
    }

    private static X509Certificate2 SelfSigned(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, critical: false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private static X509Certificate2 PublicPart(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));

    /// <summary>A minimal HTTPS server on 127.0.0.1: TLS by SslStream with the given certificate, one fixed JSON answer per connection.</summary>
    private sealed class TlsServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly byte[] _answer;
        private readonly Task _loop;

        public TlsServer(X509Certificate2 certificate, string body)
        {
            _certificate = certificate;
            _answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}");
            _listener.Start();
            Uri = new Uri($"https://localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}/health");
            _loop = Task.Run(Serve);
        }

        public Uri Uri { get; }

        public void Dispose()
        {
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task Serve()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(() => Answer(client));
            }
        }

        private async Task Answer(TcpClient client)
        {
            using (client)
            {
                try
                {
                    using var tls = new SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(_certificate);
                    var buffer = new byte[4096];
                    var request = new StringBuilder();
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await tls.ReadAsync(buffer);
                        if (read == 0)
                        {
                            return;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    await tls.WriteAsync(_answer);
                }
                catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException)
                {
                    // The client refused the certificate: that is what some tests expect.
                }
            }
        }
    }
}
