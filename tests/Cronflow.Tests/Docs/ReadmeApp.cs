using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Docs;

/// <summary>
/// The README's "Add Cronflow to your app" snippet, compiled with the tests: <see cref="ReadmeSnippetTests"/> checks
/// that the README shows exactly the region between the markers.
/// </summary>
internal static class ReadmeApp
{
    public interface IOrders
    {
        Task<Order> GetAsync(string orderId);
    }

    public sealed record Order(string Id, decimal Amount);

    public sealed class Orders : IOrders
    {
        public Task<Order> GetAsync(string orderId) => Task.FromResult(new Order(orderId, 42m));
    }

    public static async Task RunAsync(string[] args)
    {
        // readme:add-to-your-app
        var orders = Workflow.Define("order-processing")
            .OnWebhook("/webhooks/orders")
            .Step("fetch-order", async ctx => await ctx.Services.GetRequiredService<IOrders>().GetAsync(ctx.Payload["orderId"].As<string>()));

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAuthentication().AddCookie();      // your app's sign-in
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<IOrders, Orders>();      // step bodies resolve your services
        builder.Services.AddCronflowHost(
            c => c.AddWorkflow(orders),
            o => o.UseAzureStorage(builder.Configuration.GetConnectionString("Cronflow") ?? "UseDevelopmentStorage=true"));
        builder.Services.AddHealthChecks().AddCronflow();

        var app = builder.Build();
        app.MapCronflowApi("/api").RequireAuthorization();    // webhooks below /api stay open to their senders
        app.MapCronflowDashboard("/dashboard").RequireAuthorization();
        app.MapHealthChecks("/healthz");
        await app.RunAsync();
        // readme:end
    }
}
