using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Fanout.Functions;

/// <summary>Runs a minimal-API <see cref="IResult"/> (from Fanout.Http) as an MVC action result, the form the Functions ASP.NET Core integration runs.</summary>
internal sealed class ResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);
}
