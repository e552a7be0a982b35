using System;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// The retry budget of one client, a token bucket as in the SDK's standard retry mode: a retry takes 5 tokens (10 after
/// a timeout or connection failure), a success gives back what its retries took (or 1). An empty bucket means no more
/// retries, so a storm of 5xx or throttling fails fast instead of multiplying the load.
/// </summary>
internal sealed class AwsRetryBudget
{
    public const int RetryCost = 5;
    public const int TimeoutRetryCost = 10;

    private readonly object _gate = new();
    private readonly int _capacity;
    private int _available;

    public AwsRetryBudget(int capacity)
    {
        _capacity = Math.Max(0, capacity);
        _available = _capacity;
    }

    public int Available
    {
        get
        {
            lock (_gate)
            {
                return _available;
            }
        }
    }

    public bool TryAcquire(int cost)
    {
        lock (_gate)
        {
            if (_available < cost)
            {
                return false;
            }

            _available -= cost;
            return true;
        }
    }

    public void Release(int amount)
    {
        lock (_gate)
        {
            _available = Math.Min(_capacity, _available + amount);
        }
    }
}
