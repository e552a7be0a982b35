namespace Rollback.Errors;

/// <summary>An ErrorId a kind declares, with what a user should do when they meet it (PowerShell's RecommendedAction).</summary>
public sealed class ErrorIdInfo
{
    public ErrorIdInfo(string errorId, string recommendedAction)
    {
        ErrorId = errorId;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }

    public string RecommendedAction { get; }

    public override string ToString() => ErrorId;
}
