using System.CommandLine;
using System.Globalization;
using StandardWebhooks;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout webhook verify --secret S</c>: reads a webhook request from standard input and checks its Standard Webhooks
/// signature (with the <c>StandardWebhooks</c> package) and timestamp; exit 0 when it is good, 1 when not, 2 when the
/// input is not a request.
/// </summary>
public static class WebhookCommand
{
    /// <summary>How old (or how far ahead) a timestamp may be by default, as in the Standard Webhooks libraries.</summary>
    public const int DefaultToleranceSeconds = 300;

    /// <summary>Builds <c>webhook</c> with its <c>verify</c> subcommand.</summary>
    public static Command Create(Func<TextReader> input, TextWriter output, TextWriter log)
    {
        var secret = new Option<string>("--secret", "-s")
        {
            Description = "The receiver's signing secret, whsec_ + base64 (env FANOUT_WEBHOOK_SECRET).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FANOUT_WEBHOOK_SECRET") ?? "",
        };
        var tolerance = new Option<int>("--tolerance")
        {
            Description = "Seconds a webhook-timestamp may differ from now (0: do not check the time).",
            DefaultValueFactory = _ => DefaultToleranceSeconds,
        };
        var verify = new Command("verify", "Read a webhook request (headers, an empty line, the body) from stdin; exit 0 if its signature is good.") { secret, tolerance };
        verify.SetAction(async (p, ct) =>
        {
            var text = await input().ReadToEndAsync(ct).ConfigureAwait(false);
            var (code, message) = Verify(p.GetValue(secret) ?? "", text, DateTimeOffset.UtcNow, p.GetValue(tolerance));
            await (code == ExitCodes.Success ? output : log).WriteLineAsync(message).ConfigureAwait(false);
            return code;
        });
        return new Command("webhook", "Tools for webhook receivers.") { verify };
    }

    /// <summary>Checks a request's signature: exit code and what to say.</summary>
    public static (int Code, string Message) Verify(string secret, string requestText, DateTimeOffset now, int toleranceSeconds)
    {
        ArgumentNullException.ThrowIfNull(secret);
        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        }
        catch (FormatException)
        {
            return (ExitCodes.Error, "error: --secret must be whsec_ followed by base64.");
        }

        if (key.Length == 0)
        {
            return (ExitCodes.Error, "error: --secret is required (whsec_…).");
        }

        if (WebhookRequest.Parse(requestText) is not { } request)
        {
            return (ExitCodes.Error, "error: stdin is not an HTTP request (headers, an empty line, then the body).");
        }

        if (!request.Headers.TryGetValue("webhook-id", out var id) || !request.Headers.TryGetValue("webhook-timestamp", out var ts)
            || !request.Headers.TryGetValue("webhook-signature", out var signatures))
        {
            return (ExitCodes.LinesFailed, "invalid: the request lacks webhook-id, webhook-timestamp or webhook-signature.");
        }

        if (!long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return (ExitCodes.LinesFailed, $"invalid: webhook-timestamp '{ts}' is not Unix seconds.");
        }

        var timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (toleranceSeconds > 0 && Math.Abs((now - timestamp).TotalSeconds) > toleranceSeconds)
        {
            return (ExitCodes.LinesFailed, $"invalid: webhook-timestamp {seconds} is more than {toleranceSeconds} s from now.");
        }

        var expected = new StandardWebhook(key).Sign(id, timestamp, request.Body);
        var good = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(s), System.Text.Encoding.ASCII.GetBytes(expected)));
        return good ? (ExitCodes.Success, $"valid: webhook-id {id}") : (ExitCodes.LinesFailed, "invalid: no signature matches the secret and the body.");
    }
}
