using System;
using System.Net;
using System.Net.Sockets;

namespace Rollback.Testing;

/// <summary>Ports and addresses on 127.0.0.1 for the test servers (linked source; it uses no Rollback type).</summary>
public static class Loopback
{
    /// <summary>A port on 127.0.0.1 that was free when asked: the system picks it, and nothing holds it after.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>http://127.0.0.1:<paramref name="port"/>/.</summary>
    public static Uri Url(int port) => new($"http://127.0.0.1:{port}/");
}
