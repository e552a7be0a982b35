using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>
/// The analyzers' settings, read from .editorconfig / .globalconfig keys (per file, falling back to the
/// project's global options) and from the MSBuild property RollbackLayer (made visible to the compiler
/// by Directory.Build.props).
/// </summary>
internal static class RollbackOptions
{
    public const string LayerProperty = "build_property.RollbackLayer";
    public const string ErrorIdCatalogKey = "rollback_error_id_catalog";
    public const string ErrorIdCarriersKey = "rollback_error_id_carriers";
    public const string ErrorIdCatalogAttributeKey = "rollback_error_id_catalog_attribute";
    public const string EngineTypesKey = "rollback_engine_types";
    public const string EngineQueryPrefixesKey = "rollback_engine_query_prefixes";
    public const string ProviderAssemblyPrefixKey = "rollback_provider_assembly_prefix";
    public const string ProviderContractKey = "rollback_provider_contract";

    public const string DefaultErrorIdCatalog = "Rollback.Errors.RollbackErrorId";
    public const string DefaultErrorIdCarriers = "Rollback.Errors.RollbackException,Rollback.Errors.ErrorIdInfo";
    public const string DefaultErrorIdCatalogAttribute = "Rollback.Errors.ErrorIdCatalogAttribute";
    // The engine's façade and its parts (targets, points, readiness, rollbacks, configuration, history, automatic rollback).
    public const string DefaultEngineTypes = "Rollback.Engine.RollbackEngine,Rollback.Engine.TargetOperations,Rollback.Engine.PointOperations,"
        + "Rollback.Engine.ReadinessOperations,Rollback.Engine.RollbackOperations,Rollback.Engine.ConfigurationOperations,"
        + "Rollback.Engine.HistoryOperations,Rollback.Engine.AutoRollbackOperations";
    public const string DefaultEngineQueryPrefixes = "Get,Test,Plan,Verify,Describe,Find,Read";
    public const string DefaultProviderAssemblyPrefix = "Rollback.Providers.";
    public const string DefaultProviderContract = "Rollback.Providers.IRollbackProvider";

    /// <summary>The project's layer: Engine, Provider, Cmdlets, Host or Tests; empty when the project names none.</summary>
    public static string Layer(AnalyzerOptions options) =>
        options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue(LayerProperty, out var value) ? value.Trim() : string.Empty;

    public static string Get(AnalyzerOptions options, SyntaxTree? tree, string key, string fallback)
    {
        if (tree is not null && options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(key, out var local) && local.Trim().Length > 0)
        {
            return local.Trim();
        }

        return options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue(key, out var global) && global.Trim().Length > 0 ? global.Trim() : fallback;
    }

    public static ImmutableArray<string> List(AnalyzerOptions options, SyntaxTree? tree, string key, string fallback) =>
        Get(options, tree, key, fallback).Split([','], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).Where(s => s.Length > 0).ToImmutableArray();
}
