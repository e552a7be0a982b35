namespace Rollback.Engine;

/// <summary>One part of the engine (its targets, points, readiness...): all parts share one <see cref="EngineServices"/>.</summary>
public abstract class EnginePart
{
    private protected EnginePart(EngineServices engine)
    {
        Engine = engine;
    }

    private protected EngineServices Engine { get; }
}
