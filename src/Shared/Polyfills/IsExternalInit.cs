namespace System.Runtime.CompilerServices;

// netstandard2.0 lacks this marker type that init-only setters need; the compiler only needs it to exist.
internal static class IsExternalInit
{
}
