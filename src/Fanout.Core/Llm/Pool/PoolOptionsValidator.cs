using Microsoft.Extensions.Options;

namespace Fanout.Core.Llm.Pool;

/// <summary>Fails the start with every problem <see cref="PoolConfiguration"/> found, each naming its key.</summary>
public sealed class PoolOptionsValidator : IValidateOptions<PoolOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
    }
}
