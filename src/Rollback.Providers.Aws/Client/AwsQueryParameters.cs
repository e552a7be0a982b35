using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// The parameters of one Query protocol request (ELBv2, RDS...), flattened as the protocol wants them: scalars by
/// name, lists as Name.member.1, Name.member.2 ..., structures as Name.Member, so a list of structures reads
/// Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight. Null values are left out, as the SDKs leave out unset
/// members. Order is kept; the body is form-encoded (RFC 3986 percent-encoding, UTF-8).
/// </summary>
internal sealed class AwsQueryParameters
{
    private readonly List<KeyValuePair<string, string>> _values = new();

    public IReadOnlyList<KeyValuePair<string, string>> Values => _values;

    /// <summary>The value of <paramref name="name"/>, or null (for tests and messages).</summary>
    public string? this[string name] => _values.Where(v => v.Key == name).Select(v => v.Value).FirstOrDefault();

    public AwsQueryParameters Add(string name, string? value)
    {
        if (value is not null)
        {
            _values.Add(new KeyValuePair<string, string>(name, value));
        }

        return this;
    }

    public AwsQueryParameters Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    public AwsQueryParameters Add(string name, long? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>Booleans as the protocol spells them: true, false.</summary>
    public AwsQueryParameters Add(string name, bool? value) => Add(name, value is null ? null : value.Value ? "true" : "false");

    /// <summary>
    /// A list of strings: Name.member.1 ... (nothing at all for null; an empty list is sent as "Name=" so the service
    /// clears it). Where the model names the list's members (RDS: VpcSecurityGroupIds.VpcSecurityGroupId.1), give that
    /// name as <paramref name="member"/>.
    /// </summary>
    public AwsQueryParameters AddList(string name, IEnumerable<string>? values, string member = "member") =>
        AddEach(name, values, (parameters, prefix, value) => parameters.Add(prefix, value), member);

    /// <summary>A list of structures: each item written by <paramref name="write"/> under its prefix Name.member.N (Name.<paramref name="member"/>.N).</summary>
    public AwsQueryParameters AddEach<T>(string name, IEnumerable<T>? items, Action<AwsQueryParameters, string, T> write, string member = "member")
    {
        if (items is null)
        {
            return this;
        }

        var index = 0;
        foreach (var item in items)
        {
            index++;
            write(this, name + "." + member + "." + index.ToString(CultureInfo.InvariantCulture), item);
        }

        return index == 0 ? Add(name, string.Empty) : this;
    }

    /// <summary>The form body: Action and Version first, then the parameters in order.</summary>
    public byte[] ToForm(string action, string version)
    {
        var all = new[] { new KeyValuePair<string, string>("Action", action), new KeyValuePair<string, string>("Version", version) }.Concat(_values);
        return Encoding.UTF8.GetBytes(string.Join("&", all.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
    }
}
