using Xunit;

namespace Fanout.IntegrationTests.Cli;

/// <summary><c>fanout webhook verify</c> as a receiver would run it: a dumped request on stdin, the exit code says whether it is genuine.</summary>
public sealed class WebhookVerifyTests
{
    // The Standard Webhooks specification's published test vector.
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Request =
        "POST /hook HTTP/1.1\r\ncontent-type: application/json\r\nwebhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\r\n" +
        "webhook-timestamp: 1614265330\r\nwebhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\r\n\r\n{\"test\": 2432232314}";

    [Fact]
    public async Task A_genuine_request_exits_0_and_a_tampered_one_exits_1()
    {
        // The vector is from 2021: the time check is turned off to test the signature alone.
        var good = await CliProcess.RunWithInputAsync(Request, "webhook", "verify", "--secret", Secret, "--tolerance", "0");
        var tampered = await CliProcess.RunWithInputAsync(Request.Replace("2432232314", "2432232315", StringComparison.Ordinal), "webhook", "verify", "--secret", Secret, "--tolerance", "0");
        var stale = await CliProcess.RunWithInputAsync(Request, "webhook", "verify", "--secret", Secret);

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("valid: webhook-id msg_p5jXN8AQM9LWM0D4loKWxJek", good.Output, StringComparison.Ordinal);
        Assert.True(tampered.ExitCode == 1, tampered.ToString());
        Assert.True(stale.ExitCode == 1, stale.ToString());
        Assert.Contains("webhook-timestamp", stale.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_that_is_not_a_request_exits_2()
    {
        var run = await CliProcess.RunWithInputAsync("just a body", "webhook", "verify", "--secret", Secret);

        Assert.True(run.ExitCode == 2, run.ToString());
    }
}
