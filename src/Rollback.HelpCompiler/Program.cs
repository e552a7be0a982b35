using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;

namespace Rollback.HelpCompiler;

/// <summary>
/// <c>Rollback.HelpCompiler &lt;folder of cmdlet markdown&gt; &lt;MAML file to write&gt;</c>. Problems are printed as
/// "file(line): error RBHELP: ..." so a build shows them where they are, and the exit code is 1.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: Rollback.HelpCompiler <docs/cmdlets folder> <output .dll-Help.xml>");
            return 2;
        }

        try
        {
            var cmdlets = ReadFolder(args[0]);
            WriteMaml(cmdlets, args[1]);
            Console.WriteLine($"Rollback.HelpCompiler: {cmdlets.Count} cmdlets -> {args[1]}");
            return 0;
        }
        catch (HelpFormatException ex)
        {
            Console.Error.WriteLine(ex.ToBuildError());
            return 1;
        }
    }

    /// <summary>Every <c>*.md</c> in the folder, one cmdlet each, its file named after it.</summary>
    public static List<CmdletHelp> ReadFolder(string folder)
    {
        var cmdlets = new List<CmdletHelp>();
        foreach (var file in Directory.GetFiles(folder, "*.md").Order(StringComparer.Ordinal))
        {
            var help = HelpMarkdown.Parse(file, File.ReadAllText(file));
            HelpMarkdown.CheckParametersMatchSyntax(help);
            if (!string.Equals(Path.GetFileNameWithoutExtension(file), help.Name, StringComparison.Ordinal))
            {
                throw new HelpFormatException(file, 1, $"The file of {help.Name} must be named {help.Name}.md.");
            }

            cmdlets.Add(help);
        }

        return cmdlets.Count > 0 ? cmdlets : throw new HelpFormatException(folder, 0, "No cmdlet help (*.md) in this folder.");
    }

    private static void WriteMaml(List<CmdletHelp> cmdlets, string output)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        var maml = MamlWriter.Write(cmdlets);
        var temporary = output + ".tmp";
        using (var writer = XmlWriter.Create(temporary, settings))
        {
            maml.Save(writer);
        }

        File.Move(temporary, output, overwrite: true);
    }
}
