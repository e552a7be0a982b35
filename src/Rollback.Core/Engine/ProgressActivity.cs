namespace Rollback.Engine;

/// <summary>The fixed progress activity ids, one per kind of work, so nested bars stay distinct.</summary>
public static class ProgressActivity
{
    public const int Rollback = 4201;
    public const int Capture = 4202;
    public const int Verify = 4203;
    public const int Stage = 4204;
    public const int Health = 4205;
    public const int Watch = 4206;
    public const int Deployment = 4207;
    public const int Plan = 4208;
    public const int StoreCopy = 4209;

    /// <summary>A plan's members: this plus the member's place in its stage, each a child of <see cref="Plan"/>.</summary>
    public const int PlanMember = 4300;
}
