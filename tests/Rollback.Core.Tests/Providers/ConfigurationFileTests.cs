using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Xunit;

namespace Rollback.Tests.Providers;

public sealed class ConfigurationFileTests : IDisposable
{
    private const string GoodJson = "{\n  // production\n  \"Logging\": { \"LogLevel\": \"Warning\" },\n  \"FeatureFlags\": { \"NewCheckout\": false },\n}\n";
    private const string GoodYaml = "production:\n  adapter: postgresql\n  pool: 20\n";
    private const string GoodConf = "listen 8080;\nworkers 4;\n";
    private readonly Sandbox _sandbox = new();
    private readonly string _json;
    private readonly string _yaml;
    private readonly string _conf;

    public ConfigurationFileTests()
    {
        _json = _sandbox.PathOf("app", "appsettings.Production.json");
        _yaml = _sandbox.PathOf("app", "config", "database.yml");
        _conf = _sandbox.PathOf("app", "app.conf");
        Sandbox.WriteFile(_json, GoodJson);
        Sandbox.WriteFile(_yaml, GoodYaml);
        Sandbox.WriteFile(_conf, GoodConf);
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void RestoreWritesChangedFilesKeepsPermissionsAndSafetyCopies()
    {
        Register("cfg");
        File.SetUnixFileMode(_json, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_json, "{ \"FeatureFlags\": { \"NewCheckout\": true } }");
        File.SetUnixFileMode(_json, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var results = Restore("cfg", point.Id);

        var json = results.Single(r => r.Item == _json);
        Assert.True(json.Changed);
        Assert.True(json.Validated);
        Assert.Equal("Json", json.Validator);
        Assert.Equal(GoodJson, File.ReadAllText(_json));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(_json));
        Assert.Equal("{ \"FeatureFlags\": { \"NewCheckout\": true } }", File.ReadAllText(json.SafetyCopy!));
        Assert.False(results.Single(r => r.Item == _yaml).Changed);
        Assert.Equal("Yaml", results.Single(r => r.Item == _yaml).Validator);
        Assert.Equal("None", results.Single(r => r.Item == _conf).Validator);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_json)!, ".*.tmp"));
        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.RestoreConfiguration }).Single();
        Assert.Equal("Succeeded", entry.Status);
        Assert.Equal("test", entry.Reason);
        Assert.Equal(new[] { "oncall" }, entry.ApprovedBy);
    }

    [Theory]
    [InlineData("appsettings.Production.json", "{ \"a\": ", "Json")]
    [InlineData("database.yml", "production:\n  adapter: [unclosed\n", "Yaml")]
    [InlineData("web.config", "<configuration><appSettings></configuration>", "Xml")]
    public void InvalidCapturedFileIsRefusedAndNothingIsWritten(string name, string broken, string parser)
    {
        var path = _sandbox.PathOf("svc", name);
        var other = _sandbox.PathOf("svc", "other.json");
        Sandbox.WriteFile(path, broken);
        Sandbox.WriteFile(other, "{ \"v\": 1 }");
        _sandbox.Register("broken", "ConfigurationFile", ("Path", new[] { other, path }));
        var point = _sandbox.Engine.Points.Create("broken", null);
        File.WriteAllText(path, "fixed by hand");
        File.WriteAllText(other, "{ \"v\": 2 }");

        var ex = Assert.Throws<RollbackException>(() => Restore("broken", point.Id));

        Assert.Equal(RollbackErrorId.ConfigurationInvalid, ex.ErrorId);
        Assert.Contains(parser, ex.Message, StringComparison.Ordinal);
        Assert.Equal("fixed by hand", File.ReadAllText(path));
        Assert.Equal("{ \"v\": 2 }", File.ReadAllText(other));
        Assert.Equal(RollbackErrorId.ConfigurationInvalid, _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.RestoreConfiguration }).Single().ErrorId);
    }

    [Fact]
    public void ValidatorCommandGuardsOtherFormats()
    {
        _sandbox.Register("nginx", "ConfigurationFile", ("Path", _conf), ("Validator", "grep -q '^listen' {0}"));
        var point = _sandbox.Engine.Points.Create("nginx", null);
        File.WriteAllText(_conf, "listen 9090;\n");

        var ok = Restore("nginx", point.Id).Single();
        Assert.Equal("Command", ok.Validator);
        Assert.Equal(GoodConf, File.ReadAllText(_conf));

        File.WriteAllText(_conf, "workers 1;\n");
        var bad = _sandbox.Engine.Points.Create("nginx", "broken");
        File.WriteAllText(_conf, GoodConf);
        var ex = Assert.Throws<RollbackException>(() => Restore("nginx", bad.Id));
        Assert.Equal(RollbackErrorId.ValidatorFailed, ex.ErrorId);
        Assert.Contains("exited with 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(GoodConf, File.ReadAllText(_conf));
    }

    [Fact]
    public void CallerValidatorSeesCandidateBesideTheItem()
    {
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_conf, "changed");
        string? seenFolder = null;

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest
        {
            Target = "cfg",
            PointId = point.Id,
            Items = new[] { "app.conf" },
            Validator = (candidate, item) =>
            {
                seenFolder = Path.GetDirectoryName(candidate);
                return new ValidationOutcome(false, "workers must be 8");
            },
        }));

        // What the validator said may quote the file: the error names the file and leaves the text to the verbose stream.
        Assert.Equal(RollbackErrorId.ValidatorFailed, ex.ErrorId);
        Assert.Contains("-Validator script block rejected it", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("workers must be 8", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Path.GetDirectoryName(_conf), seenFolder);
        Assert.Equal("changed", File.ReadAllText(_conf));
    }

    [Fact]
    public void WhatIfValidatesAndReportsButWritesNothing()
    {
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_yaml, "production: {}\n");
        var pointsBefore = _sandbox.Engine.Points.GetAll("cfg").Count;

        var results = _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, WhatIf = true });

        Assert.All(results, r => Assert.True(r.WhatIf));
        Assert.True(results.Single(r => r.Item == _yaml).Changed);
        Assert.Equal("production: {}\n", File.ReadAllText(_yaml));
        Assert.Equal(pointsBefore, _sandbox.Engine.Points.GetAll("cfg").Count);
        Assert.Empty(_sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.RestoreConfiguration }));
    }

    [Fact]
    public void ItemFilterRestoresOnlyTheNamedFileAndRejectsUnknownNames()
    {
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_yaml, "a: 1\n");
        File.WriteAllText(_conf, "changed");

        var results = _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, Items = new[] { "database.yml" } });

        Assert.Equal(_yaml, Assert.Single(results).Item);
        Assert.Equal(GoodYaml, File.ReadAllText(_yaml));
        Assert.Equal("changed", File.ReadAllText(_conf));
        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, Items = new[] { "nginx.conf" } }));
        Assert.Equal(RollbackErrorId.ConfigurationItemNotFound, ex.ErrorId);
    }

    [Fact]
    public void ReadOnlyFileIsRefused()
    {
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_conf, "changed");
        File.SetAttributes(_conf, FileAttributes.ReadOnly);

        var ex = Assert.Throws<RollbackException>(() => Restore("cfg", point.Id));

        Assert.Equal(RollbackErrorId.TargetReadOnly, ex.ErrorId);
        Assert.Equal("changed", File.ReadAllText(_conf));
    }

    [Fact]
    public void InvokeRollbackOnConfigurationTargetReportsItems()
    {
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_json, "{}");

        var result = _sandbox.Rollback("cfg", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(GoodJson, File.ReadAllText(_json));
        Assert.Single(result.ConfigurationItems, i => i.Changed);
    }

    [SkippableFact]
    public void ManifestNamingAFileOutsideTheTargetIsRefused()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        Register("cfg");
        var point = _sandbox.Engine.Points.Create("cfg", null);
        var manifest = Path.Combine(point.Path, Store.PointStore.ManifestFileName);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(_conf, "/etc/passwd", StringComparison.Ordinal));

        var ex = Assert.Throws<RollbackException>(() => Restore("cfg", point.Id));

        Assert.Equal(RollbackErrorId.ArtifactPathEscapes, ex.ErrorId);
    }

    [Fact]
    public void ValidatorWithoutPlaceholderIsRejectedAtRegistration()
    {
        var ex = Assert.Throws<RollbackException>(() => _sandbox.Register("x", "ConfigurationFile", ("Path", _conf), ("Validator", "nginx -t")));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, ex.ErrorId);
    }

    private void Register(string name) => _sandbox.Register(name, "ConfigurationFile", ("Path", new[] { _json, _yaml, _conf }));

    private System.Collections.Generic.IReadOnlyList<ConfigurationRestoreResult> Restore(string target, string pointId) =>
        _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = target, PointId = pointId, Reason = "test", ApprovedBy = new[] { "oncall" } });
}
