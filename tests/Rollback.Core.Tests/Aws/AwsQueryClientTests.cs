using System;
using System.Linq;
using System.Text;
using Amazon.Runtime;
using Rollback.Errors;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.Client;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The Query protocol client (ELBv2 here; RDS and the other Query services the same way) against moto's ELBv2 behind the
/// endpoint that checks every request's SigV4 signature with botocore; the faults moto cannot make are scripted there
/// as the XML error answers AWS gives.
/// </summary>
public sealed class AwsQueryClientTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly MotoService<MotoElb> _service;

    public AwsQueryClientTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoElb>(aws, "elasticloadbalancing", url => new MotoElb(url));
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoElb Elb => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
    }

    [SkippableFact]
    public void ASignedFormPostReadsListsAndStructuresFromTheXmlAnswer()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var blue = Elb.CreateTargetGroup(MotoElb.Unique("blue"), "10.0.1.10", "10.0.1.11");
        var green = Elb.CreateTargetGroup(MotoElb.Unique("green"));
        using var client = Client();

        var groups = Wait(client.InvokeAsync("DescribeTargetGroups", new AwsQueryParameters().AddList("TargetGroupArns", new[] { blue, green }), default));
        var health = Wait(client.InvokeAsync("DescribeTargetHealth", new AwsQueryParameters().Add("TargetGroupArn", blue), default));

        Assert.Equal(new[] { blue, green }, groups.Members("TargetGroups").Select(g => g.Text("TargetGroupArn")));
        Assert.Equal(80, groups.Members("TargetGroups").First().Int("Port"));
        Assert.Equal(new[] { "10.0.1.10", "10.0.1.11" }, health.Members("TargetHealthDescriptions").Select(d => d.Child("Target").Text("Id")).OrderBy(i => i, StringComparer.Ordinal));
        Assert.All(health.Members("TargetHealthDescriptions"), d => Assert.Equal("healthy", d.Child("TargetHealth").Text("State")));
        Assert.Equal(1, Endpoint.Count("DescribeTargetHealth"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void AnUnknownListenerIsResourceNotFoundWithTheServiceCode()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();

        var error = Assert.Throws<RollbackException>(() => Wait(client.InvokeAsync("DescribeListeners",
            new AwsQueryParameters().AddList("ListenerArns", new[] { "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/none/0123456789abcdef/0123456789abcdef" }), default)));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, error.ErrorId);
        Assert.Equal("ListenerNotFound", AwsErrors.CodeOf(error));
        Assert.Contains("The specified listener does not exist", error.Message, StringComparison.Ordinal);
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void AccessDeniedIsNotRetriedAndThrottlingIs()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var group = Elb.CreateTargetGroup(MotoElb.Unique("tg"));
        using var client = Client();
        Endpoint.Enqueue(new ScriptedAnswer(403, Error("AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: elasticloadbalancing:DescribeTargetGroups"), "DescribeTargetGroups"));
        var denied = Assert.Throws<RollbackException>(() => Wait(client.InvokeAsync("DescribeTargetGroups", new AwsQueryParameters().AddList("TargetGroupArns", new[] { group }), default)));
        Assert.Equal(1, Endpoint.Count("DescribeTargetGroups"));

        Endpoint.Enqueue(new ScriptedAnswer(400, Error("Throttling", "Rate exceeded"), "DescribeTargetGroups"));
        Endpoint.Enqueue(new ScriptedAnswer(400, Error("Throttling", "Rate exceeded"), "DescribeTargetGroups"));
        var read = Wait(client.InvokeAsync("DescribeTargetGroups", new AwsQueryParameters().AddList("TargetGroupArns", new[] { group }), default));

        Assert.Equal(AwsErrorId.AwsAccessDenied, denied.ErrorId);
        Assert.Contains("elasticloadbalancing:DescribeTargetGroups", denied.Message, StringComparison.Ordinal);
        Assert.Equal(group, read.Members("TargetGroups").Single().Text("TargetGroupArn"));
        Assert.Equal(4, Endpoint.Count("DescribeTargetGroups"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsIsAwsThrottled()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();
        for (var i = 0; i < 3; i++)
        {
            Endpoint.Enqueue(new ScriptedAnswer(400, Error("Throttling", "Rate exceeded"), "DescribeListeners"));
        }

        var error = Assert.Throws<RollbackException>(() => Wait(client.InvokeAsync("DescribeListeners", new AwsQueryParameters().AddList("ListenerArns", new[] { "x" }), default)));

        Assert.Equal(AwsErrorId.AwsThrottled, error.ErrorId);
        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AnAnswerThatIsNotXmlIsResponseInvalid()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();
        Endpoint.Enqueue(new ScriptedAnswer(200, "{\"not\":\"xml\"}", "DescribeListeners"));

        var error = Assert.Throws<RollbackException>(() => Wait(client.InvokeAsync("DescribeListeners", new AwsQueryParameters(), default)));

        Assert.Equal(AwsErrorId.AwsResponseInvalid, error.ErrorId);
        Assert.Contains("could not be read as the service's XML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersFlattenAsTheQueryProtocolWantsThem()
    {
        var parameters = new AwsQueryParameters()
            .Add("ListenerArn", "arn:x/y")
            .Add("Port", 443)
            .Add("Unset", (string?)null)
            .AddEach("DefaultActions", new[] { 1 }, (p, prefix, _) => p
                .Add(prefix + ".Type", "forward")
                .AddEach(prefix + ".ForwardConfig.TargetGroups", new[] { ("a", 70), ("b", 30) }, (q, member, tg) => q.Add(member + ".TargetGroupArn", tg.Item1).Add(member + ".Weight", tg.Item2))
                .Add(prefix + ".ForwardConfig.TargetGroupStickinessConfig.Enabled", false))
            .AddList("Empty", Array.Empty<string>());

        var form = Encoding.UTF8.GetString(parameters.ToForm("ModifyListener", "2015-12-01"));

        Assert.Equal("Action=ModifyListener&Version=2015-12-01&ListenerArn=arn%3Ax%2Fy&Port=443&DefaultActions.member.1.Type=forward"
            + "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=a&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=70"
            + "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=b&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=30"
            + "&DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled=false&Empty=", form);
        Assert.Equal("443", parameters["Port"]);
    }

    [Theory]
    [InlineData("<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>TargetGroupNotFound</Code><Message>One or more target groups not found</Message></Error><RequestId>r</RequestId></ErrorResponse>", "TargetGroupNotFound", "One or more target groups not found")]
    [InlineData("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>no vpc</Message></Error></Errors><RequestID>r</RequestID></Response>", "InvalidVpcID.NotFound", "no vpc")]
    [InlineData("<html>Bad Gateway</html>", "", "<html>Bad Gateway</html>")]
    [InlineData("Bad Gateway", "", "Bad Gateway")]
    public void ErrorAnswersReadTheirCodeAndMessage(string body, string code, string message)
    {
        var read = AwsErrors.ReadXmlError(new AwsHttpAnswer(System.Net.HttpStatusCode.BadRequest, body, "r", new System.Collections.Generic.Dictionary<string, string>()));

        Assert.Equal(code, read.Code);
        Assert.Equal(message, read.Message);
    }

    [Fact]
    public void TheDefaultEndpointIsRegionalAndAServiceWithoutAnApiVersionIsRefused()
    {
        var options = new AwsClientOptions { Region = "eu-west-1", Credentials = new BasicAWSCredentials("a", "b") };
        using var elb = new AwsQueryClient(AwsServiceInfo.ElasticLoadBalancingV2, options);
        using var rds = new AwsQueryClient(AwsServiceInfo.Rds, options);

        Assert.Equal(new Uri("https://elasticloadbalancing.eu-west-1.amazonaws.com/"), elb.Endpoint);
        Assert.Equal(new Uri("https://rds.eu-west-1.amazonaws.com/"), rds.Endpoint);
        Assert.Throws<ArgumentException>(() => new AwsQueryClient(AwsServiceInfo.Lambda, options));
    }

    private static string Error(string code, string message) =>
        $"<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>test-request</RequestId></ErrorResponse>";

    private static T Wait<T>(System.Threading.Tasks.Task<T> task) => task.GetAwaiter().GetResult();

    private AwsQueryClient Client() => new(AwsServiceInfo.ElasticLoadBalancingV2, new AwsClientOptions
    {
        Region = AwsTestEndpoint.Region,
        EndpointUrl = Endpoint.Url,
        MaxAttempts = 3,
        BaseDelay = TimeSpan.FromMilliseconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(15),
    });
}
