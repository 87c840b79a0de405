using Cronflow.Functions.App;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddCronflowApp(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
