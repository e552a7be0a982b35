using System;
using System.Net;
using System.Net.Sockets;

namespace Rollback.Testing;

/// <summary>Ports and addresses on 127.0.0.1 for the test servers (linked source; it uses no Rollback type).</summary>
public static class Loopback
{
    // Bound for the life of the test process and never listening: a connection to it is refused, and no other socket
    // can bind it (no SO_REUSEADDR), so no test's server started later can answer there.
    private static readonly Lazy<Socket> ClosedSocket = new(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ExclusiveAddressUse = true };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    });

    /// <summary>A port on 127.0.0.1 that was free when asked: the system picks it, and nothing holds it after.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A port on 127.0.0.1 where nothing listens, for as long as the test process runs. A port that was merely free
    /// (<see cref="FreePort"/>) can be taken by a server another test starts meanwhile, which then answers the requests
    /// a test expected to be refused (seen: a health probe's retries reached a SigV4-checking endpoint).
    /// </summary>
    public static int ClosedPort() => ((IPEndPoint)ClosedSocket.Value.LocalEndPoint!).Port;

    /// <summary>http://127.0.0.1:<paramref name="port"/>/.</summary>
    public static Uri Url(int port) => new($"http://127.0.0.1:{port}/");
}
