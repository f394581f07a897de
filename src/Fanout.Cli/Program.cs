using Fanout.Cli.Commands;

return await FanoutCommand.Create().Parse(args).InvokeAsync();
