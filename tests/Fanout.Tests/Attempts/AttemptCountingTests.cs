using System.Net.Http;
using System.Text;
using Fanout.Core.Activities;
using Fanout.Core.Attempts;
using Fanout.Core.Llm;
using Fanout.Core.Models;
using Xunit;

namespace Fanout.Tests.Attempts;

public sealed class AttemptCountingTests
{
    [Theory]
    [InlineData(200, AttemptKind.Succeeded)]
    [InlineData(429, AttemptKind.RateLimited)]
    [InlineData(401, AttemptKind.Http4xx)]
    [InlineData(408, AttemptKind.Http4xx)]
    [InlineData(500, AttemptKind.Http5xx)]
    [InlineData(503, AttemptKind.Http5xx)]
    public void An_answered_attempt_is_classified_by_its_status(int status, AttemptKind kind) => Assert.Equal(kind, AttemptKinds.Classify(status, null));

    [Fact]
    public void An_unanswered_attempt_is_a_timeout_when_the_network_timeout_cancelled_it_and_a_connection_failure_otherwise()
    {
        Assert.Equal(AttemptKind.Timeout, AttemptKinds.Classify(0, new TaskCanceledException("timeout", new TimeoutException())));
        Assert.Equal(AttemptKind.Timeout, AttemptKinds.Classify(0, new AggregateException(new HttpRequestException("a"), new TimeoutException())));
        Assert.Equal(AttemptKind.Connection, AttemptKinds.Classify(0, new HttpRequestException("refused", new System.Net.Sockets.SocketException(111))));
        Assert.Equal(AttemptKind.Connection, AttemptKinds.Classify(0, new IOException("reset")));
    }

    [Fact]
    public void A_journals_last_whole_record_holds_its_totals()
    {
        var first = AttemptJournal.Record(new Dictionary<string, DeploymentUsage> { ["east"] = new(Calls: 1) });
        var second = AttemptJournal.Record(new Dictionary<string, DeploymentUsage>
        {
            ["east"] = new(Calls: 3, RateLimited: 1, Failures: 1, FailuresByKind: new FailureKinds(Timeout: 1)),
        });
        var journal = first.Concat(second).ToArray();

        var last = AttemptJournal.LastRecord(journal)!;

        Assert.Equal(3, last["east"].Calls);
        Assert.Equal(1, last["east"].RateLimited);
        Assert.Equal(1, last["east"].FailuresByKind!.Timeout);
        Assert.Null(AttemptJournal.LastRecord("\n"u8));
    }

    [Fact]
    public void Usages_sum_their_failures_by_kind()
    {
        var a = new DeploymentUsage(2, Failures: 1, FailuresByKind: new FailureKinds(Http4xx: 1));
        var b = new DeploymentUsage(3, Failures: 2, FailuresByKind: new FailureKinds(Http5xx: 1, Connection: 1));

        var sum = a.Add(b);

        Assert.Equal(new FailureKinds(1, 1, 0, 1), sum.FailuresByKind);
        Assert.Equal(3, sum.Failures);
        Assert.Equal(FailureKinds.None, new DeploymentUsage().FailuresByKind);
    }

    [Theory]
    [InlineData(401, "{\"detail\": \"Missing or incorrect API Key\"}", "http_401", "The service answered 401: {\"detail\": \"Missing or incorrect API Key\"}")]
    [InlineData(403, "Forbidden by policy", "http_403", "The service answered 403: Forbidden by policy")]
    [InlineData(502, "{\"error\": \"bad gateway\"}", "server_error", "The service answered 502 after all retries: {\"error\": \"bad gateway\"}")]
    [InlineData(404, "{\"error\": {\"code\": \"DeploymentNotFound\", \"message\": \"No such deployment.\"}}", "DeploymentNotFound", "No such deployment.")]
    [InlineData(500, "", "server_error", "The service answered 500 after all retries.")]
    public void An_error_body_that_is_not_OpenAI_shaped_is_kept_as_the_endpoint_said_it(int status, string body, string code, string message)
    {
        var (c, m) = PromptExecutor.ReadError(new ChatCallResult(status, Encoding.UTF8.GetBytes(body), null, null));

        Assert.Equal(code, c);
        Assert.Equal(message, m);
    }

    [Fact]
    public void An_endpoints_error_text_is_cut_at_1000_characters()
    {
        var (_, message) = PromptExecutor.ReadError(new ChatCallResult(400, Encoding.UTF8.GetBytes(new string('x', 5000)), null, null));

        Assert.Equal("The service answered 400: ".Length + PromptExecutor.MaxErrorTextChars, message.Length);
    }
}
