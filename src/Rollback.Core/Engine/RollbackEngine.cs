using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Providers;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Verification;

namespace Rollback.Engine;

/// <summary>
/// The one place the safety rules live, for every kind, reached through its parts: <see cref="Targets"/>,
/// <see cref="Points"/>, <see cref="Readiness"/>, <see cref="Rollbacks"/>, <see cref="Plans"/>, <see cref="Configuration"/>,
/// <see cref="History"/> and <see cref="AutoRollback"/>. Created per command invocation over a store; every part
/// shares its reporter, its time and its user, and journals every attempt. Hosts reach the store only through it.
/// </summary>
public sealed class RollbackEngine
{
    public const string MaxPointAgeSetting = "MaxPointAge";
    public static readonly TimeSpan DefaultMaxPointAge = TimeSpan.FromDays(7);

    private readonly EngineServices _services;

    /// <summary>An engine over a store and a catalogue; <paramref name="time"/> is the clock and the waits of every operation (the system's by default).</summary>
    public RollbackEngine(RollbackStore store, ProviderCatalog catalog, IRollbackReporter? reporter = null, TimeProvider? time = null, string? user = null,
        IHealthProbe? healthProbe = null)
        : this(new EngineServices(store, catalog, reporter ?? NullReporter.Instance, time ?? TimeProvider.System, user ?? CurrentUser(), healthProbe ?? new HealthProbe()))
    {
    }

    /// <summary>An engine over services already made: a plan's member's (<see cref="EngineServices.ForPlanMember"/>).</summary>
    internal RollbackEngine(EngineServices services)
    {
        _services = services;
        Targets = new TargetOperations(_services);
        Plans = new PlanOperations(_services);
        Points = new PointOperations(_services, Plans);
        Readiness = new ReadinessOperations(_services, Plans);
        Rollbacks = new RollbackOperations(_services, Readiness, Plans);
        Configuration = new ConfigurationOperations(_services);
        History = new HistoryOperations(_services);
        AutoRollback = new AutoRollbackOperations(_services);
        Notifications = new NotificationOperations(_services);
        Reports = new ReportOperations(_services, History);
        StoreCopy = new StoreCopyOperations(_services);
    }

    public TargetOperations Targets { get; }

    public PointOperations Points { get; }

    /// <summary>Plans: targets of the Plan kind, captured, checked and rolled back member by member, stage by stage.</summary>
    public PlanOperations Plans { get; }

    public ReadinessOperations Readiness { get; }

    public RollbackOperations Rollbacks { get; }

    public ConfigurationOperations Configuration { get; }

    public HistoryOperations History { get; }

    public AutoRollbackOperations AutoRollback { get; }

    /// <summary>Notification channels: webhooks told about the rollbacks of the targets they follow.</summary>
    public NotificationOperations Notifications { get; }

    /// <summary>Incident reports (HTML and Markdown) of a run, a plan run or a period of the journal.</summary>
    public ReportOperations Reports { get; }

    /// <summary>Moving to the shared store: a folder store's targets, points and journal copied into this engine's store.</summary>
    public StoreCopyOperations StoreCopy { get; }

    public string User => _services.User;

    public ProviderCatalog Catalog => _services.Catalog;

    /// <summary>The time source every operation of this engine runs on (the watcher and the probe share it).</summary>
    public TimeProvider Time => _services.Time;

    public IRollbackReporter Reporter => _services.Reporter;

    /// <summary>The store in use: its kind, where it is (never with a password), its schema version and user.</summary>
    public RollbackStoreInfo DescribeStore() => _services.Store.Description;

    /// <summary>The store, for tests of the engine only: hosts go through the parts.</summary>
    internal RollbackStore Store => _services.Store;

    /// <summary>The settings a target of this provider's kind may have: the engine's own and the kind's.</summary>
    public static IReadOnlyList<SettingDefinition> DeclaredSettings(IRollbackProvider provider) => EngineSettings.All.Concat(provider.Schema.Settings).ToList();

    public static string CurrentUser() =>
        Platform.NativeFileSystem.IsWindows ? Environment.UserDomainName + "\\" + Environment.UserName : Environment.UserName;
}
