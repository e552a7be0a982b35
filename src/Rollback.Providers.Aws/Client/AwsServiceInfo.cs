using System.Text.Json;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// What the client needs to know about one AWS service: the SigV4 signing name, the endpoint prefix, the
/// X-Amz-Target prefix and the service id (for AWS_ENDPOINT_URL_&lt;SERVICE_ID&gt;). Values come from the published
/// service models (botocore's <c>metadata</c>).
/// </summary>
internal sealed class AwsServiceInfo
{
    public AwsServiceInfo(string signingName, string endpointPrefix, string targetPrefix, string serviceId, string jsonVersion = "1.1", bool camelCaseMembers = false, string apiVersion = "",
        string? globalRegion = null, string? globalHost = null)
    {
        ApiVersion = apiVersion;
        GlobalRegion = globalRegion;
        GlobalHost = globalHost;
        CamelCaseMembers = camelCaseMembers;
        SigningName = signingName;
        EndpointPrefix = endpointPrefix;
        TargetPrefix = targetPrefix;
        ServiceId = serviceId;
        JsonVersion = jsonVersion;
    }

    public static AwsServiceInfo SecretsManager { get; } = new("secretsmanager", "secretsmanager", "secretsmanager", "Secrets Manager");

    /// <summary>CodeDeploy's model spells members in camelCase (applicationName, s3Location, eTag).</summary>
    public static AwsServiceInfo CodeDeploy { get; } = new("codedeploy", "codedeploy", "CodeDeploy_20141006", "CodeDeploy", camelCaseMembers: true);

    /// <summary>Lambda speaks restJson1 (no X-Amz-Target); its model spells members in PascalCase (FunctionVersion, RoutingConfig).</summary>
    public static AwsServiceInfo Lambda { get; } = new("lambda", "lambda", string.Empty, "Lambda");

    /// <summary>AppConfig speaks restJson1 (no X-Amz-Target) with members in PascalCase (ApplicationId, ConfigurationVersion, State).</summary>
    public static AwsServiceInfo AppConfig { get; } = new("appconfig", "appconfig", string.Empty, "AppConfig");

    /// <summary>ECS speaks awsJson1_1 with members in camelCase (taskDefinition, desiredCount, deploymentConfiguration).</summary>
    public static AwsServiceInfo Ecs { get; } = new("ecs", "ecs", "AmazonEC2ContainerServiceV20141113", "ECS", camelCaseMembers: true);

    /// <summary>Elastic Load Balancing v2 speaks the Query protocol (a form POST with Action and Version, XML answers).</summary>
    public static AwsServiceInfo ElasticLoadBalancingV2 { get; } = new("elasticloadbalancing", "elasticloadbalancing", string.Empty, "Elastic Load Balancing v2", apiVersion: "2015-12-01");

    /// <summary>RDS speaks the Query protocol too (API version 2014-10-31).</summary>
    public static AwsServiceInfo Rds { get; } = new("rds", "rds", string.Empty, "RDS", apiVersion: "2014-10-31");

    /// <summary>The API version a Query protocol request names in its Version parameter (empty for the JSON protocols).</summary>
    public string ApiVersion { get; }

    /// <summary>
    /// CloudFront is global (botocore's partition endpoint "aws-global"): one endpoint, cloudfront.amazonaws.com, and
    /// requests signed for us-east-1 whatever region the target names.
    /// </summary>
    public static AwsServiceInfo CloudFront { get; } = new("cloudfront", "cloudfront", string.Empty, "CloudFront", globalRegion: "us-east-1", globalHost: "cloudfront.amazonaws.com");

    /// <summary>The region a global service signs for (us-east-1 for CloudFront); null for a regional service.</summary>
    public string? GlobalRegion { get; }

    /// <summary>The one host of a global service (cloudfront.amazonaws.com); null for a regional service.</summary>
    public string? GlobalHost { get; }

    public string SigningName { get; }

    public string EndpointPrefix { get; }

    public string TargetPrefix { get; }

    public string ServiceId { get; }

    /// <summary>1.1 for awsJson1_1 (Content-Type application/x-amz-json-1.1), 1.0 for awsJson1_0.</summary>
    public string JsonVersion { get; }

    public string ContentType => "application/x-amz-json-" + JsonVersion;

    /// <summary>
    /// True where the service model spells members in camelCase (CodeDeploy): request and response types keep the
    /// official SDK's PascalCase property names, and the JSON uses camelCase. False: names as declared (Secrets Manager).
    /// </summary>
    public bool CamelCaseMembers { get; }

    /// <summary>The JSON settings for this service's bodies.</summary>
    public JsonSerializerOptions JsonOptions => CamelCaseMembers ? AwsJson.CamelCaseOptions : AwsJson.Options;
}
