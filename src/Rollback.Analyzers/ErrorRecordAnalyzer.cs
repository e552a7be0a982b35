using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Rollback.Analyzers;

/// <summary>
/// RB1004: an ErrorRecord (and a type that carries an ErrorId into one, e.g. RollbackException) is built with an
/// ErrorId that is a constant of an error-id catalogue (the engine's, or a provider assembly's own static class marked
/// [ErrorIdCatalog]), and an ErrorCategory other than NotSpecified. An id read from an <c>ErrorId</c> property is
/// accepted: it was checked where the carrier was created.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ErrorRecordAnalyzer : DiagnosticAnalyzer
{
    private const string ErrorIdParameter = "errorId";
    private const string ErrorIdProperty = "ErrorId";
    private const string NotSpecified = "NotSpecified";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.ErrorRecord];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var errorRecord = start.Compilation.GetTypeByMetadataName("System.Management.Automation.ErrorRecord");
            start.RegisterOperationAction(operation => Analyze(operation, errorRecord), OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol? errorRecord)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        var created = creation.Type as INamedTypeSymbol;
        if (created is null || creation.Constructor is null)
        {
            return;
        }

        var tree = creation.Syntax.SyntaxTree;
        var catalog = RollbackOptions.Get(context.Options, tree, RollbackOptions.ErrorIdCatalogKey, RollbackOptions.DefaultErrorIdCatalog);
        var carriers = RollbackOptions.List(context.Options, tree, RollbackOptions.ErrorIdCarriersKey, RollbackOptions.DefaultErrorIdCarriers);
        var marker = RollbackOptions.Get(context.Options, tree, RollbackOptions.ErrorIdCatalogAttributeKey, RollbackOptions.DefaultErrorIdCatalogAttribute);
        var isRecord = errorRecord is not null && SymbolEqualityComparer.Default.Equals(created, errorRecord);
        if (!isRecord && !carriers.Contains(Symbols.MetadataName(created)))
        {
            return;
        }

        var what = isRecord ? "An ErrorRecord" : "A " + created.Name;
        foreach (var argument in creation.Arguments)
        {
            if (argument.Parameter is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            if (argument.Parameter.Name == ErrorIdParameter && argument.Parameter.Type.SpecialType == SpecialType.System_String && !IsCatalogueId(argument.Value, catalog, marker))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ErrorRecord, argument.Syntax.GetLocation(),
                    what + " is built with the ErrorId '" + argument.Value.Syntax + "', which is not a constant of an error-id catalogue ('" + catalog + "', or a provider's static class marked [" + ShortName(marker) + "]): add a constant there and pass it (scripts catch errors by that id)"));
            }

            if (argument.Parameter.Type.TypeKind == TypeKind.Enum && argument.Value.ConstantValue.HasValue && IsNotSpecified(argument.Parameter.Type, argument.Value.ConstantValue.Value))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ErrorRecord, argument.Syntax.GetLocation(),
                    what + " is built with the category NotSpecified: pass the category that fits the failure (InvalidArgument, ObjectNotFound, ResourceUnavailable, ...)"));
            }
        }
    }

    private static bool IsCatalogueId(IOperation value, string catalog, string marker) => value switch
    {
        IConversionOperation conversion => IsCatalogueId(conversion.Operand, catalog, marker),
        IParenthesizedOperation parenthesized => IsCatalogueId(parenthesized.Operand, catalog, marker),
        IFieldReferenceOperation field => field.Field.IsConst && IsCatalogue(field.Field.ContainingType, catalog, marker),
        IPropertyReferenceOperation property => property.Property.Name == ErrorIdProperty,
        IConditionalAccessOperation access => IsCatalogueId(access.WhenNotNull, catalog, marker),
        ICoalesceOperation coalesce => IsCatalogueId(coalesce.Value, catalog, marker) && IsCatalogueId(coalesce.WhenNull, catalog, marker),
        IConditionalOperation conditional => conditional.WhenFalse is not null && IsCatalogueId(conditional.WhenTrue, catalog, marker) && IsCatalogueId(conditional.WhenFalse, catalog, marker),
        _ => false,
    };

    /// <summary>The engine's configured catalogue, or a static class marked with the catalogue attribute (a provider's own ids).</summary>
    private static bool IsCatalogue(INamedTypeSymbol type, string catalog, string marker) =>
        Symbols.MetadataName(type) == catalog
        || (type.IsStatic && type.GetAttributes().Any(a => a.AttributeClass is not null && Symbols.MetadataName(a.AttributeClass) == marker));

    private static string ShortName(string metadataName)
    {
        var name = metadataName.Substring(metadataName.LastIndexOf('.') + 1);
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static bool IsNotSpecified(ITypeSymbol enumType, object? value) =>
        enumType.GetMembers(NotSpecified).OfType<IFieldSymbol>().Any(f => f.HasConstantValue && Equals(f.ConstantValue, value));
}
