namespace Rollback;

public enum CheckStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One readiness or verification check.</summary>
public sealed class CheckResult
{
    public CheckResult(string name, CheckStatus status, string message)
    {
        Name = name;
        Status = status;
        Message = message;
    }

    public string Name { get; }

    public CheckStatus Status { get; }

    public string Message { get; }

    /// <summary>For a failed check: the ErrorId the same problem raises when a rollback is attempted.</summary>
    public string? ErrorId { get; init; }

    public static CheckResult Pass(string name, string message) => new(name, CheckStatus.Pass, message);

    public static CheckResult Warn(string name, string message) => new(name, CheckStatus.Warn, message);

    public static CheckResult Fail(string name, string errorId, string message) => new(name, CheckStatus.Fail, message) { ErrorId = errorId };

    public override string ToString() => $"{Status} {Name}: {Message}";
}
