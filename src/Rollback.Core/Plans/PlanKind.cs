using System;
using System.Collections.Generic;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;

namespace Rollback.Plans;

/// <summary>
/// The Plan kind: a target whose settings name other targets in ordered stages. It is a target like any other, so
/// Register-/Get-RollbackTarget, New-RollbackPoint, Test-RollbackReadiness, Invoke-Rollback, Get-RollbackHistory and
/// tab completion take a plan's name unchanged. What it declares (settings, ErrorIds) lives here, and every catalogue
/// has it; what it does lives in the engine (<see cref="Engine.PlanOperations"/>), which takes a plan before any
/// provider would: capturing, checking and rolling back a plan is capturing, checking and rolling back its members,
/// with the engine's own lock, journal and verification, so this provider's own restore is never called.
/// </summary>
public sealed class PlanKind : IRollbackProvider
{
    public const string KindName = "Plan";
    public const string StagesSetting = "Stages";
    public const string ThrottleLimitSetting = "ThrottleLimit";
    public const string MaxFailedPercentSetting = "MaxFailedPercent";
    public const int DefaultThrottleLimit = 4;

    public string Kind => KindName;

    public string Description => "An ordered rollback of other targets: stages run one after another, the members of a stage in parallel.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition
            {
                Name = StagesSetting, Type = SettingType.Text, IsList = true, Required = true,
                Description = "The stages in order, each a comma-separated list of member target names (e.g. 'web1, web2, web3', 'config'); a member may itself be a plan.",
            },
            new SettingDefinition
            {
                Name = ThrottleLimitSetting, Type = SettingType.WholeNumber, Default = "4",
                Description = "How many members of a stage are captured, checked or rolled back at once (Invoke-Rollback -ThrottleLimit for one call).",
            },
            new SettingDefinition
            {
                Name = MaxFailedPercentSetting, Type = SettingType.Text, Default = "0",
                Description = "The share of a stage's members (0-100) that may fail without failing the stage (a fleet); 0: any failure fails it.",
            },
        },
        new[]
        {
            new ErrorIdInfo(RollbackErrorId.PlanMemberNotFound, "Register the member first (Register-RollbackTarget), or correct its name in the plan's Stages."),
            new ErrorIdInfo(RollbackErrorId.PlanMemberInTwoStages, "Name each member in one stage only: a target is rolled back once per run."),
            new ErrorIdInfo(RollbackErrorId.PlanCycle, "Remove the plan from the stages of the plans it contains: a plan cannot roll itself back."),
            new ErrorIdInfo(RollbackErrorId.PlanStageEmpty, "Give every stage at least one member, or leave the empty stage out."),
            new ErrorIdInfo(RollbackErrorId.PlanSettingInvalid, "Give MaxFailedPercent as a whole number from 0 to 100."),
            new ErrorIdInfo(RollbackErrorId.InvalidThrottleLimit, "Give -ThrottleLimit (or the plan's ThrottleLimit) as 1 or more."),
            new ErrorIdInfo(RollbackErrorId.PlanArgumentNotSupported, "Set the members' own settings (ReloadCommand, Validator) instead, or roll the member back on its own."),
            new ErrorIdInfo(RollbackErrorId.PlanPointIncomplete, "Capture a new plan point (New-RollbackPoint -Target <plan>): the plan's members changed since this one."),
            new ErrorIdInfo(RollbackErrorId.PlanStageFailed, "Read the failed members' messages in the result's Members; undo the stages rolled back with the commands the message gives, or run again with -OnFailure Undo."),
        });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var layout = PlanLayout.Read(KindName, settings);
        return settings.With(StagesSetting, layout.StagesAsSettings());
    }

    // A plan is run by the engine (PlanOperations), member by member: none of the calls below is ever made for it.
    public TargetState Describe(RollbackTarget target, OperationContext context) => throw RunByEngine();

    public CapturedState Capture(RollbackTarget target, CaptureContext context) => throw RunByEngine();

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => throw RunByEngine();

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => throw RunByEngine();

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => throw RunByEngine();

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => throw RunByEngine();

    private static InvalidOperationException RunByEngine() => new("A plan is captured, checked and rolled back by the engine's plan operations, member by member.");
}
