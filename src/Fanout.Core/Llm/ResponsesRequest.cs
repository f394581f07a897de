using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using Azure.AI.OpenAI;

namespace Fanout.Core.Llm;

/// <summary>
/// A Responses API call (<c>POST {endpoint}/openai/v1/responses</c>, Azure OpenAI's v1 API, which takes no
/// <c>api-version</c>) sent through an <see cref="AzureOpenAIClient"/>'s own pipeline.
/// </summary>
/// <remarks>
/// Azure.AI.OpenAI 2.1.0 (the stable release served here) has no responses client, and 2.9.0-beta.1 (the only later
/// one) throws <see cref="MissingMethodException"/> against OpenAI 2.15.0 while the OpenAI 2.9.x it was built on is not
/// served. So the request is built as the SDK's protocol methods build theirs (a message from the client's pipeline,
/// the body unchanged as <see cref="BinaryContent"/>, <see cref="RequestOptions"/> applied) and sent through the same
/// pipeline as the chat calls: the same credential (api-key or Entra ID), retry policy, throttle gate and telemetry.
/// </remarks>
internal static class ResponsesRequest
{
    /// <summary>The path under the resource endpoint.</summary>
    public const string Path = "openai/v1/responses";

    /// <summary>
    /// The body with <c>model</c> set to <paramref name="deployment"/>: on Azure's v1 API the body's model names the
    /// deployment (there is none in the path), and a pool member's deployment may differ from the line's model.
    /// </summary>
    public static byte[] WithModel(ReadOnlyMemory<byte> body, string deployment)
    {
        var node = JsonNode.Parse(body.Span) as JsonObject ?? throw new ArgumentException("A responses body is a JSON object.", nameof(body));
        if (node["model"] is JsonValue current && current.TryGetValue<string>(out var model) && model == deployment)
        {
            return body.ToArray();
        }

        node["model"] = deployment;
        return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>Sends <paramref name="content"/> to <paramref name="endpoint"/> (the client's resource endpoint) through the client's pipeline.</summary>
    public static async Task<ClientResult> SendAsync(AzureOpenAIClient client, Uri endpoint, BinaryContent content, RequestOptions options)
    {
        var pipeline = client.Pipeline;
        using var message = pipeline.CreateMessage();
        message.ResponseClassifier = PipelineMessageClassifier.Create(stackalloc ushort[] { 200 });
        var request = message.Request;
        request.Method = "POST";
        request.Uri = new Uri(endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/"), Path);
        request.Headers.Set("Accept", "application/json");
        request.Headers.Set("Content-Type", "application/json");
        request.Content = content;
        message.Apply(options);
        await pipeline.SendAsync(message).ConfigureAwait(false);
        var response = message.ExtractResponse() ?? throw new InvalidOperationException("The pipeline returned no response.");
        if (response.IsError && (options.ErrorOptions & ClientErrorBehaviors.NoThrow) != ClientErrorBehaviors.NoThrow)
        {
            throw new ClientResultException(response);
        }

        return ClientResult.FromResponse(response);
    }
}
