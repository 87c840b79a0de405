namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>
/// A fact that needs Azurite (or an Azure Storage account): skipped, with the reason, unless the environment variable
/// <c>CRONFLOW_AZURITE</c> holds a storage connection string. <c>scripts/test.sh</c> starts Azurite and sets it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AzuriteFactAttribute : FactAttribute
{
    /// <summary>The variable holding the connection string, for example <c>UseDevelopmentStorage=true</c>.</summary>
    public const string Variable = "CRONFLOW_AZURITE";

    /// <summary>Marks the test as skipped when the variable is not set.</summary>
    public AzuriteFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Needs Azurite: set {Variable}=UseDevelopmentStorage=true (bash scripts/azurite.sh start), or run bash scripts/test.sh.";
        }
    }
}
