using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.Lambda;

/// <summary>
/// The Lambda operations the LambdaAlias kind uses, named and shaped like the official AWSSDK.Lambda client
/// (IAmazonLambda), so that swapping that package in changes only <see cref="LambdaClient"/>.
/// </summary>
internal interface ILambdaClient : IDisposable
{
    Task<GetAliasResponse> GetAliasAsync(GetAliasRequest request, CancellationToken cancellationToken = default);

    Task<UpdateAliasResponse> UpdateAliasAsync(UpdateAliasRequest request, CancellationToken cancellationToken = default);

    Task<GetFunctionConfigurationResponse> GetFunctionConfigurationAsync(GetFunctionConfigurationRequest request, CancellationToken cancellationToken = default);
}
