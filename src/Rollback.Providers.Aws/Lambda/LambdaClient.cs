using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.Lambda;

/// <summary>Lambda over the shared restJson client (signing name "lambda", API version 2015-03-31).</summary>
internal sealed class LambdaClient : ILambdaClient, IReportingAwsClient
{
    private const string AliasPath = "/2015-03-31/functions/{FunctionName}/aliases/{Name}";
    private const string ConfigurationPath = "/2015-03-31/functions/{FunctionName}/configuration";

    private readonly AwsRestJsonClient _client;

    public LambdaClient(AwsClientOptions options)
    {
        _client = new AwsRestJsonClient(AwsServiceInfo.Lambda, options);
    }

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public Task<GetAliasResponse> GetAliasAsync(GetAliasRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<GetAliasResponse>("GetAlias", "GET", AliasPath, Alias(request.FunctionName, request.Name), null, null, cancellationToken);

    public Task<UpdateAliasResponse> UpdateAliasAsync(UpdateAliasRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<UpdateAliasResponse>("UpdateAlias", "PUT", AliasPath, Alias(request.FunctionName, request.Name), null, request, cancellationToken);

    public Task<GetFunctionConfigurationResponse> GetFunctionConfigurationAsync(GetFunctionConfigurationRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<GetFunctionConfigurationResponse>("GetFunctionConfiguration", "GET", ConfigurationPath,
            new Dictionary<string, string> { ["FunctionName"] = request.FunctionName ?? string.Empty },
            new Dictionary<string, string?> { ["Qualifier"] = request.Qualifier }, null, cancellationToken);

    public void Dispose() => _client.Dispose();

    private static Dictionary<string, string> Alias(string? function, string? name) => new()
    {
        ["FunctionName"] = function ?? string.Empty,
        ["Name"] = name ?? string.Empty,
    };
}
