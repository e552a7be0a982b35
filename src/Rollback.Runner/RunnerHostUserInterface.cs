using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace Rollback.Runner;

/// <summary>
/// Text user interface for the runner. Formatted output and information go to the output writer;
/// errors, warnings, verbose, debug and progress go to the error writer so that stdout carries
/// only what the script produced (a CI job can pipe it on) and diagnostics stay visible in the log.
/// </summary>
public sealed partial class RunnerHostUserInterface : PSHostUserInterface
{
    public const string NotInteractiveErrorId = "RunnerNotInteractive";

    private const string NotInteractiveMessage =
        "Confirmation required but the runner is not interactive; pass -Confirm:$false or -Force.";

    private const int ProgressBarWidth = 30;

    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly TextReader? _input;
    private readonly bool _interactive;
    private readonly RunnerHostRawUserInterface _rawUI = new();
    private readonly bool _outputIsTerminal;
    private readonly bool _errorIsTerminal;

    // The host is called from the pipeline thread, but Ctrl+C and a stopping pipeline can overlap
    // with a write; one lock keeps a progress line and a normal line from interleaving mid-line.
    private readonly object _writeLock = new();
    private int _progressLineLength;

    public RunnerHostUserInterface(TextWriter output, TextWriter error, TextReader? input, bool interactive)
    {
        _output = output;
        _error = error;
        _input = input;
        _interactive = interactive;

        // Colour only reaches a person at a terminal; in a file, a pipe or a CI log the escape codes
        // are noise that breaks grep and diff. NO_COLOR is the cross-tool convention to opt out.
        var colourAllowed = interactive && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        _outputIsTerminal = colourAllowed && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        _errorIsTerminal = colourAllowed && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    }

    public override PSHostRawUserInterface RawUI => _rawUI;

    public override bool SupportsVirtualTerminal => _outputIsTerminal;

    /// <summary>Prompts are possible only when a person can answer them.</summary>
    public bool CanPrompt => _interactive && _input is not null;

    public override void Write(string value) => WriteTo(_output, value, newLine: false);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        WriteTo(_output, value, newLine: false);

    public override void WriteLine(string value) => WriteTo(_output, value, newLine: true);

    public override void WriteErrorLine(string value) => WriteTo(_error, value, newLine: true);

    public override void WriteWarningLine(string message) => WriteTo(_error, "WARNING: " + message, newLine: true);

    public override void WriteVerboseLine(string message) => WriteTo(_error, "VERBOSE: " + message, newLine: true);

    public override void WriteDebugLine(string message) => WriteTo(_error, "DEBUG: " + message, newLine: true);

    public override void WriteInformation(InformationRecord record)
    {
        // The engine calls this for every information record it displays and, separately, WriteLine
        // for Write-Host style messages; writing here too would print those twice.
    }

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        // Non-interactive runs (CI logs) get no progress at all: a redrawn bar turns into hundreds of
        // lines in a log file, and the results and verbose stream already say what happened.
        if (!_interactive)
        {
            return;
        }

        lock (_writeLock)
        {
            if (record.RecordType == ProgressRecordType.Completed)
            {
                ClearProgressLine();
                return;
            }

            var line = FormatProgress(record);
            var padding = Math.Max(0, _progressLineLength - line.Length);
            _error.Write("\r" + line + new string(' ', padding));
            _error.Flush();
            _progressLineLength = line.Length;
        }
    }

    public override string ReadLine() => ReadAnswer(secret: false);

    public override SecureString ReadLineAsSecureString()
    {
        EnsureCanPrompt();
        var secure = new SecureString();
        if (ReferenceEquals(_input, Console.In) && !Console.IsInputRedirected)
        {
            // A real console: read keys unechoed so the secret never appears on screen.
            for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
            {
                if (key.Key == ConsoleKey.Backspace)
                {
                    if (secure.Length > 0)
                    {
                        secure.RemoveAt(secure.Length - 1);
                    }
                }
                else if (key.KeyChar != '\0')
                {
                    secure.AppendChar(key.KeyChar);
                }
            }

            WriteTo(_output, string.Empty, newLine: true);
        }
        else
        {
            foreach (var c in ReadAnswer(secret: true))
            {
                secure.AppendChar(c);
            }
        }

        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        EnsureCanPrompt();
        WriteHeading(caption, message);
        var answers = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in descriptions)
        {
            var label = string.IsNullOrEmpty(field.Label) ? field.Name : field.Label.Replace("&", string.Empty, StringComparison.Ordinal);
            if (IsType(field, typeof(SecureString)))
            {
                Write(label + ": ");
                answers[field.Name] = PSObject.AsPSObject(ReadLineAsSecureString());
            }
            else if (IsType(field, typeof(PSCredential)))
            {
                answers[field.Name] = PSObject.AsPSObject(PromptForCredential(caption, message, string.Empty, string.Empty));
            }
            else
            {
                Write(label + ": ");
                answers[field.Name] = PSObject.AsPSObject(ReadLine());
            }
        }

        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        EnsureCanPrompt();
        WriteHeading(caption, message);
        var hotkeys = new string[choices.Count];
        var prompt = new StringBuilder();
        for (var i = 0; i < choices.Count; i++)
        {
            hotkeys[i] = Hotkey(choices[i].Label);
            prompt.Append(CultureInfo.InvariantCulture, $"[{hotkeys[i]}] {choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal)}  ");
        }

        prompt.Append("[?] Help");
        if (defaultChoice >= 0 && defaultChoice < choices.Count)
        {
            prompt.Append(CultureInfo.InvariantCulture, $" (default is \"{hotkeys[defaultChoice]}\")");
        }

        prompt.Append(": ");
        while (true)
        {
            Write(prompt.ToString());
            var answer = ReadLine().Trim();
            if (answer.Length == 0 && defaultChoice >= 0 && defaultChoice < choices.Count)
            {
                return defaultChoice;
            }

            if (answer == "?")
            {
                for (var i = 0; i < choices.Count; i++)
                {
                    WriteLine($"{hotkeys[i]} - {choices[i].HelpMessage}");
                }

                continue;
            }

            for (var i = 0; i < choices.Count; i++)
            {
                if (string.Equals(answer, hotkeys[i], StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(answer, choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(
        string caption,
        string message,
        string userName,
        string targetName,
        PSCredentialTypes allowedCredentialTypes,
        PSCredentialUIOptions options)
    {
        EnsureCanPrompt();
        WriteHeading(caption, message);
        if (string.IsNullOrEmpty(userName))
        {
            Write("User: ");
            userName = ReadLine();
        }

        Write($"Password for user {userName}: ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    private static string FormatProgress(ProgressRecord record)
    {
        var text = new StringBuilder();
        text.Append(record.Activity);
        if (!string.IsNullOrEmpty(record.StatusDescription))
        {
            text.Append(": ").Append(record.StatusDescription);
        }

        if (record.PercentComplete >= 0)
        {
            var percent = Math.Min(100, record.PercentComplete);
            var filled = percent * ProgressBarWidth / 100;
            text.Append(" [")
                .Append('#', filled)
                .Append(' ', ProgressBarWidth - filled)
                .Append(CultureInfo.InvariantCulture, $"] {percent}%");
        }

        if (!string.IsNullOrEmpty(record.CurrentOperation))
        {
            text.Append(' ').Append(record.CurrentOperation);
        }

        // One line that fits the virtual console: a wrapped progress line could not be redrawn with \r.
        var max = RunnerHostRawUserInterface.DefaultWidth - 1;
        return text.Length > max ? text.ToString(0, max) : text.ToString();
    }

    private static string Hotkey(string label)
    {
        var amp = label.IndexOf('&', StringComparison.Ordinal);
        var key = amp >= 0 && amp + 1 < label.Length ? label[amp + 1] : label.Length > 0 ? label[0] : '?';
        return char.ToUpperInvariant(key).ToString();
    }

    private static bool IsType(FieldDescription field, Type type) =>
        string.Equals(field.ParameterTypeFullName, type.FullName, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(field.ParameterTypeName, type.Name, StringComparison.OrdinalIgnoreCase);

    private static HostException NotInteractive(string message) =>
        new(message, null, NotInteractiveErrorId, ErrorCategory.InvalidOperation);

    private void EnsureCanPrompt()
    {
        // Failing loudly beats hanging: an unattended job waiting on a prompt nobody sees only ends
        // when the CI timeout kills it, and then without saying why.
        if (!CanPrompt)
        {
            throw NotInteractive(NotInteractiveMessage);
        }
    }

    private string ReadAnswer(bool secret)
    {
        EnsureCanPrompt();
        var answer = _input!.ReadLine() ?? throw NotInteractive("The input ended while the runner was waiting for an answer.");

        // A terminal echoes what was typed; piped or scripted answers do not, so the host writes the
        // answer itself (never a secret) to keep the transcript readable: prompt, answer, then output.
        if (!ReferenceEquals(_input, Console.In) || Console.IsInputRedirected)
        {
            WriteTo(_output, secret ? string.Empty : answer, newLine: true);
        }

        return answer;
    }

    private void WriteHeading(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            WriteLine(caption);
        }

        if (!string.IsNullOrEmpty(message))
        {
            WriteLine(message);
        }
    }

    private void WriteTo(TextWriter writer, string value, bool newLine)
    {
        // The formatter decorates table headers and errors with ANSI styles whatever the host says,
        // so the host removes them where nobody will see colours.
        if (!(ReferenceEquals(writer, _output) ? _outputIsTerminal : _errorIsTerminal))
        {
            value = AnsiEscape().Replace(value, string.Empty);
        }

        lock (_writeLock)
        {
            ClearProgressLine();
            if (newLine)
            {
                writer.WriteLine(value);
            }
            else
            {
                writer.Write(value);
            }

            writer.Flush();
        }
    }

    private void ClearProgressLine()
    {
        if (_progressLineLength > 0)
        {
            _error.Write("\r" + new string(' ', _progressLineLength) + "\r");
            _error.Flush();
            _progressLineLength = 0;
        }
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex AnsiEscape();
}
