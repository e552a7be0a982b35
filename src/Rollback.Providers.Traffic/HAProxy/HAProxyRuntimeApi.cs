using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Rollback.Errors;

namespace Rollback.Providers.Traffic.HAProxy;

/// <summary>
/// HAProxy's runtime API (the stats socket, 'level admin'): one connection per command, as socat does it, over a Unix
/// socket (a path, or unix:/path) or TCP (host:port, tcp:host:port, ipv4@host:port). Errors it answers become
/// RollbackExceptions with the kind's ErrorIds; it never retries a change.
/// </summary>
internal sealed class HAProxyRuntimeApi
{
    private readonly string _address;
    private readonly TimeSpan _timeout;

    public HAProxyRuntimeApi(string address, TimeSpan timeout)
    {
        _address = address;
        _timeout = timeout;
    }

    /// <summary>Whether the address names a TCP endpoint rather than a socket path; throws InvalidTargetSettings when it is neither.</summary>
    public static bool IsTcp(string address, out string host, out int port)
    {
        var text = Strip(address, "tcp:", "ipv4@");
        host = string.Empty;
        port = 0;
        if (text.StartsWith("/", StringComparison.Ordinal) || address.StartsWith("unix:", StringComparison.Ordinal))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536)
        {
            host = text.Substring(0, colon);
            return true;
        }

        throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The runtime API address '{address}' is neither a socket path (/run/haproxy/admin.sock, unix:/path) nor host:port.", address);
    }

    /// <summary>Sends one command and returns HAProxy's whole answer.</summary>
    public string Send(string command, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        using var socket = Connect(cancellation);
        using var stop = cancellation.Register(() => socket.Dispose());
        try
        {
            socket.SendTimeout = socket.ReceiveTimeout = (int)_timeout.TotalMilliseconds;
            socket.Send(Encoding.ASCII.GetBytes(command + "\n"));
            var answer = new MemoryStream();
            var buffer = new byte[16384];
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, read);
            }

            return Encoding.UTF8.GetString(answer.ToArray());
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            cancellation.ThrowIfCancellationRequested();
            throw Unreachable($"'{command}' got no whole answer: {ex.Message}", ex);
        }
    }

    /// <summary>Sends a command that answers nothing on success (set server ... weight/state); any answer is its refusal.</summary>
    public void Change(string command, string backend, string server, CancellationToken cancellation, params string[] acceptedPrefixes)
    {
        var answer = Send(command, cancellation).Trim();
        if (answer.Length == 0 || acceptedPrefixes.Any(p => answer.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        throw Refusal(command, answer, backend, server);
    }

    /// <summary>The rows of a 'show servers state BACKEND' answer, by column name.</summary>
    public IReadOnlyList<Dictionary<string, string>> ServersState(string backend, CancellationToken cancellation)
    {
        var answer = Send("show servers state " + backend, cancellation);
        var lines = answer.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        var header = lines.FirstOrDefault(l => l.StartsWith("#", StringComparison.Ordinal));
        if (header is null)
        {
            throw Refusal("show servers state " + backend, answer.Trim(), backend, null);
        }

        return Rows(header.TrimStart('#', ' ').Split(' '), lines.Where(l => !l.StartsWith("#", StringComparison.Ordinal) && l.Contains(' ')).Select(l => l.Split(' ')));
    }

    /// <summary>The rows of 'show stat' (CSV) for one backend's servers, by column name.</summary>
    public IReadOnlyList<Dictionary<string, string>> Stats(string backend, CancellationToken cancellation)
    {
        var answer = Send("show stat", cancellation);
        var lines = answer.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        var header = lines.FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal));
        if (header is null)
        {
            throw Refusal("show stat", answer.Trim(), backend, null);
        }

        var rows = Rows(header.Substring(2).Split(','), lines.Skip(1).Select(l => l.Split(',')));
        return rows.Where(r => r.TryGetValue("pxname", out var proxy) && proxy == backend && r.TryGetValue("svname", out var name) && name is not "BACKEND" and not "FRONTEND").ToList();
    }

    private static List<Dictionary<string, string>> Rows(string[] names, IEnumerable<string[]> rows) =>
        rows.Select(values => names.Select((name, i) => (name, value: i < values.Length ? values[i] : string.Empty))
                .Where(p => p.name.Length > 0)
                .GroupBy(p => p.name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().value, StringComparer.Ordinal))
            .ToList();

    private static string Strip(string text, params string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                text = text.Substring(prefix.Length);
            }
        }

        return text;
    }

    private Socket Connect(CancellationToken cancellation)
    {
        Socket socket;
        EndPoint endpoint;
        if (IsTcp(_address, out var host, out var port))
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endpoint = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        }
        else
        {
            var path = _address.StartsWith("unix:", StringComparison.Ordinal) ? _address.Substring(5) : _address;
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endpoint = UnixEndPoint(path);
        }

        try
        {
            var connect = socket.ConnectAsync(endpoint);
            if (!connect.Wait((int)_timeout.TotalMilliseconds, cancellation))
            {
                throw Unreachable($"it did not accept a connection within {_timeout.TotalSeconds:0.#} s", null);
            }

            return socket;
        }
        catch (AggregateException ex) when (ex.InnerException is SocketException or IOException)
        {
            socket.Dispose();
            throw Unreachable(ex.InnerException!.Message, ex.InnerException);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            socket.Dispose();
            throw Unreachable(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>.NET's UnixDomainSocketEndPoint, which netstandard2.0 does not declare but every PowerShell 7 runtime has.</summary>
    private EndPoint UnixEndPoint(string path)
    {
        var type = Type.GetType("System.Net.Sockets.UnixDomainSocketEndPoint, System.Net.Sockets", throwOnError: false);
        if (type is null)
        {
            throw Unreachable("this runtime has no Unix domain sockets (Windows PowerShell 5.1): give the runtime API as host:port", null);
        }

        return (EndPoint)Activator.CreateInstance(type, path)!;
    }

    private RollbackException Unreachable(string why, Exception? inner) =>
        new(TrafficErrorId.HAProxyRuntimeApiUnreachable, RollbackErrorCategory.ResourceUnavailable,
            $"HAProxy's runtime API at '{_address}' does not answer: {why}. Nothing was changed through it.", _address, inner);

    private static RollbackException Refusal(string command, string answer, string backend, string? server)
    {
        if (answer.StartsWith("No such server", StringComparison.OrdinalIgnoreCase))
        {
            return new RollbackException(TrafficErrorId.HAProxyServerNotFound, RollbackErrorCategory.ObjectNotFound,
                $"HAProxy has no server '{server}' in backend '{backend}' ('{command}' answered: {answer}).", server ?? backend);
        }

        if (answer.StartsWith("No such backend", StringComparison.OrdinalIgnoreCase) || answer.StartsWith("Can't find backend", StringComparison.OrdinalIgnoreCase))
        {
            return new RollbackException(TrafficErrorId.HAProxyBackendNotFound, RollbackErrorCategory.ObjectNotFound,
                $"HAProxy has no backend '{backend}' ('{command}' answered: {answer}).", backend);
        }

        return new RollbackException(TrafficErrorId.HAProxyRuntimeApiRefused, RollbackErrorCategory.PermissionDenied,
            $"HAProxy's runtime API refused '{command}': {answer}. The stats socket needs 'level admin'.", backend);
    }
}
