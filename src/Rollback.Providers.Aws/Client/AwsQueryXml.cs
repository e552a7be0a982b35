using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// Reading a Query protocol answer (the &lt;OperationResult&gt; element <see cref="AwsQueryClient"/> returns, its names
/// without the service's XML namespace): a child by name, its text as a string, number or boolean, and a list's
/// &lt;member&gt; elements. A missing element reads as null (or an empty list), as an unset member does.
/// </summary>
internal static class AwsQueryXml
{
    public static XElement? Child(this XElement? element, string name) => element?.Element(name);

    public static string? Text(this XElement? element, string name) => element?.Element(name)?.Value;

    public static long? Long(this XElement? element, string name) =>
        long.TryParse(element.Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static int? Int(this XElement? element, string name) =>
        int.TryParse(element.Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static bool? Bool(this XElement? element, string name) => element.Text(name) switch
    {
        "true" => true,
        "false" => false,
        _ => null,
    };

    /// <summary>The &lt;member&gt; items of the list <paramref name="name"/> (none when it is missing).</summary>
    public static IEnumerable<XElement> Members(this XElement? element, string name) =>
        element?.Element(name)?.Elements("member") ?? Enumerable.Empty<XElement>();

    /// <summary>
    /// The items of the list <paramref name="name"/> whatever the model names them (RDS's &lt;DBInstances&gt; holds
    /// &lt;DBInstance&gt; elements, its &lt;TagList&gt; &lt;Tag&gt; ones); none when it is missing.
    /// </summary>
    public static IEnumerable<XElement> Items(this XElement? element, string name) =>
        element?.Element(name)?.Elements() ?? Enumerable.Empty<XElement>();

    /// <summary>The element with every name stripped of its namespace, so callers name elements as the model does.</summary>
    public static XElement WithoutNamespaces(XElement element) =>
        new(element.Name.LocalName,
            element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name.LocalName, a.Value)),
            element.Nodes().Select(n => n is XElement child ? WithoutNamespaces(child) : n));

    /// <summary>A timestamp as the Query protocol writes it (ISO 8601), in UTC.</summary>
    public static DateTime? Time(this XElement? element, string name) =>
        DateTime.TryParse(element.Text(name), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value) ? value : null;
}
