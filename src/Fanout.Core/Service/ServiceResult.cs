using System.Diagnostics.CodeAnalysis;

namespace Fanout.Core.Service;

/// <summary>What a service returns: a value, or a <see cref="ServiceError"/> (never both). Converts implicitly from either.</summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly record struct ServiceResult<T>
{
    private ServiceResult(T? value, ServiceError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error when not <see cref="IsSuccess"/>.</summary>
    public ServiceError? Error { get; }

    /// <summary>True when the result holds a value.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsSuccess => Error is null;

    /// <summary>A successful result.</summary>
    public static ServiceResult<T> Success(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    /// <summary>A failed result.</summary>
    public static ServiceResult<T> Failure(ServiceError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>The value as a successful result.</summary>
    public static implicit operator ServiceResult<T>(T value) => Success(value);

    /// <summary>The error as a failed result.</summary>
    public static implicit operator ServiceResult<T>(ServiceError error) => Failure(error);

    /// <summary>Maps the value (an error stays the error).</summary>
    public ServiceResult<TOut> Map<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return IsSuccess ? ServiceResult<TOut>.Success(map(Value)) : ServiceResult<TOut>.Failure(Error);
    }

    /// <summary>One of two answers, for the value or the error.</summary>
    public TOut Match<TOut>(Func<T, TOut> success, Func<ServiceError, TOut> failure)
    {
        ArgumentNullException.ThrowIfNull(success);
        ArgumentNullException.ThrowIfNull(failure);
        return IsSuccess ? success(Value) : failure(Error);
    }
}
