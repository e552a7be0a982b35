using System.Runtime.CompilerServices;

namespace Rollback.Platform;

/// <summary>How hot code asks the runtime to compile it.</summary>
internal static class CompileHints
{
    /// <summary>
    /// MethodImplOptions.AggressiveOptimization (.NET Core 3.0 and later; netstandard2.0 does not name it, the runtime that
    /// loads the module honours it): code run once per command, over every file, is compiled optimized at once instead
    /// of starting as tier-0 code (a fresh PowerShell session runs one rollback, all of it cold). Used where measured to pay.
    /// </summary>
    internal const MethodImplOptions AggressiveOptimization = (MethodImplOptions)512;
}
