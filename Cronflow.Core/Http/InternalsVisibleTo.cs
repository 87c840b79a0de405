using System.Runtime.CompilerServices;

// The Functions app's tests drive the shared API, the run messages and the schedule logic through the app's adapters.
[assembly: InternalsVisibleTo("Cronflow.Functions.Tests")]
