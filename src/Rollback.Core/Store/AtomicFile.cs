using System.IO;
using System.Text;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>Writes that either happen whole or not at all: a temp file beside the destination, flushed to disk, then renamed over it.</summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes a store file (user-only on Unix) whole or not at all.</summary>
    public static void WriteAllText(string path, string content) => WriteAllBytes(path, Utf8NoBom.GetBytes(content));

    public static void WriteAllBytes(string path, byte[] content)
    {
        var temp = TempPathBeside(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // Store files are the owner's alone, from before their first byte: an existing file rewritten is tightened too.
                StoreFiles.RestrictToOwner(temp);
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: true);
            }

            NativeFileSystem.ReplaceByRename(temp, path);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="destination"/> atomically, keeping the destination's permission bits.</summary>
    public static void ReplaceWithCopyOf(string source, string destination) => Commit(StageCopyBeside(source, destination), destination);

    /// <summary>
    /// Writes a flushed copy of <paramref name="source"/> to a temp file beside <paramref name="destination"/>, with the
    /// destination's permission bits, so it can be checked before <see cref="Commit"/> renames it into place.
    /// </summary>
    public static string StageCopyBeside(string source, string destination)
    {
        var temp = TempPathBeside(destination);
        try
        {
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // User-only before a byte is written: the copy of a 0600 file must never be readable by others, not even
                // until the destination's mode is applied below.
                StoreFiles.RestrictToOwner(temp);
                input.CopyTo(output, 1 << 20);
                output.Flush(flushToDisk: true);
            }

            if (File.Exists(destination))
            {
                NativeFileSystem.SetUnixFileMode(temp, NativeFileSystem.GetUnixFileMode(destination));
                File.SetAttributes(temp, File.GetAttributes(destination) & ~FileAttributes.ReadOnly);
            }

            return temp;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Renames a staged file over its destination in one step; the staged file is gone afterwards either way.</summary>
    public static void Commit(string staged, string destination)
    {
        try
        {
            NativeFileSystem.ReplaceByRename(staged, destination);
        }
        finally
        {
            if (File.Exists(staged))
            {
                File.Delete(staged);
            }
        }
    }

    /// <summary>A hidden temp name in the destination's own folder (see <see cref="TemporaryNames"/>), so the final rename never crosses file systems.</summary>
    public static string TempPathBeside(string path) => TemporaryNames.Beside(path, TemporaryNames.NewTag());
}
