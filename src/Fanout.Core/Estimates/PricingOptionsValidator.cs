using Microsoft.Extensions.Options;

namespace Fanout.Core.Estimates;

/// <summary>Fails the start with every problem <see cref="PricingConfiguration"/> found, each naming its key.</summary>
public sealed class PricingOptionsValidator : IValidateOptions<PricingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PricingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
    }
}
