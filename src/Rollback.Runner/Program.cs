namespace Rollback.Runner;

internal static class Program
{
    private static int Main() => 0;
}
