using Fanout.Simulator;

// dotnet run --project src/Fanout.Simulator -- --urls http://127.0.0.1:5055 --Fanout:Simulator:LatencyMs=200
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddSimulatorStandalone();

var app = builder.Build();
app.MapSimulator();
app.LogSimulatorStart();
app.Run();
