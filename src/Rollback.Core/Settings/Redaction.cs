using System.Text.RegularExpressions;

namespace Rollback.Settings;

/// <summary>
/// Masks what looks like a secret in text a command printed (a validator quoting the line it rejects, a reload dumping
/// its configuration) before that text reaches the verbose stream: the value after a secret-sounding key
/// (password, secret, token, key, credential, authorization) and the credentials in a URL. The text is never kept
/// anywhere else: results, errors and the journal name the file and line, not the output.
/// </summary>
public static class Redaction
{
    public const string Mask = "***";

    // key = value, key: value, "key": "value", key value (ini, yaml, json, nginx, .env), the key possibly prefixed
    // (db_password, X-Api-Key); the value runs to the end of the token.
    private static readonly Regex KeyValue = new(
        @"(?<key>[\w.-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth(?:orization)?|bearer)[\w.-]*""?)(?<sep>\s*[:=]\s*|\s+)(?<value>""[^""]*""|'[^']*'|[^\s,;}""']+)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, System.TimeSpan.FromSeconds(1));

    // scheme://user:password@host
    private static readonly Regex UrlCredentials = new(
        @"(?<scheme>[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, System.TimeSpan.FromSeconds(1));

    /// <summary>The text with every value that looks like a secret replaced by ***.</summary>
    public static string Redact(string text)
    {
        try
        {
            var masked = KeyValue.Replace(text, m => m.Groups["key"].Value + m.Groups["sep"].Value + Mask);
            return UrlCredentials.Replace(masked, m => m.Groups["scheme"].Value + Mask + "@");
        }
        catch (RegexMatchTimeoutException)
        {
            // Output too odd to scan in time is not shown at all rather than shown unmasked.
            return "(output withheld: it could not be checked for secrets)";
        }
    }
}
