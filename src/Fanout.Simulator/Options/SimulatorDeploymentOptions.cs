using System.ComponentModel.DataAnnotations;

namespace Fanout.Simulator.Options;

/// <summary>How a deployment is down.</summary>
public enum DeploymentOutage
{
    /// <summary>Up.</summary>
    None,

    /// <summary>Every request is answered 503.</summary>
    ServiceUnavailable,

    /// <summary>Every request's connection is dropped unanswered, as a region that refuses connections.</summary>
    Refuse,
}

/// <summary>
/// One deployment's own settings (<c>Fanout:Simulator:Deployments:{name}</c>): its quota window (each deployment has its
/// own sliding window in any case; these set its limits), the model its answers name, and an outage window. A setting
/// left out takes the simulator-wide value.
/// </summary>
public sealed class SimulatorDeploymentOptions
{
    /// <summary>Requests admitted in any sliding minute; null = <see cref="SimulatorOptions.RequestsPerMinute"/>, 0 = unlimited.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:RequestsPerMinute must not be negative.")]
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens admitted in any sliding minute; null = <see cref="SimulatorOptions.TokensPerMinute"/>, 0 = unlimited.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:TokensPerMinute must not be negative.")]
    public long? TokensPerMinute { get; set; }

    /// <summary>Fixed latency of its answers in milliseconds; null = <see cref="SimulatorOptions.LatencyMs"/>.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:LatencyMs must not be negative.")]
    public int? LatencyMs { get; set; }

    /// <summary>The <c>model</c> its answers carry; null = the deployment's name.</summary>
    public string? Model { get; set; }

    /// <summary>Down now (tests flip it at run time; <c>POST /deployments/{name}/stop</c> and <c>/start</c> do too).</summary>
    public DeploymentOutage Outage { get; set; }

    /// <summary>How the deployment is down during the outage window.</summary>
    public DeploymentOutage OutageMode { get; set; } = DeploymentOutage.ServiceUnavailable;

    /// <summary>Start of the outage window, in seconds after the server started (or the stats were last reset).</summary>
    [Range(0.0, double.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:OutageStartSeconds must not be negative.")]
    public double OutageStartSeconds { get; set; }

    /// <summary>Length of the outage window in seconds; 0 = none.</summary>
    [Range(0.0, double.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:OutageDurationSeconds must not be negative.")]
    public double OutageDurationSeconds { get; set; }

    /// <summary>
    /// <c>standard</c> (the default: answers live calls) or <c>batch</c>: a Global Batch deployment, reached through
    /// <c>/openai/files</c> + <c>/openai/batches</c> (and <c>/v1/…</c>) with its lines' <c>body.model</c> naming it.
    /// </summary>
    [RegularExpression("^(standard|batch)$", ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:Kind must be standard or batch.")]
    public string Kind { get; set; } = "standard";

    /// <summary>A batch deployment: seconds from a batch's creation to its end (its lines finish evenly over them); default 30.</summary>
    [Range(0.0, 86400.0, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:TurnaroundSeconds must be from 0 to 86400.")]
    public double TurnaroundSeconds { get; set; } = 30;

    /// <summary>A batch deployment: the share of its lines that fail (0-1).</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:BatchFailureRate must be from 0 to 1.")]
    public double BatchFailureRate { get; set; }

    /// <summary>A batch deployment: the most tokens its unfinished batches may hold (0 = unlimited); over it, a new batch fails with Azure's <c>token_limit_exceeded</c>.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "Fanout:Simulator:Deployments:{{name}}:EnqueuedTokenLimit must not be negative.")]
    public long EnqueuedTokenLimit { get; set; }
}
