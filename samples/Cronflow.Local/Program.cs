using Cronflow.Local;

// cronflow serve | trigger | show | runs | cancel | resume: see CronflowCommandLine, or `cronflow --help`.
return await CronflowCommandLine.RunAsync(args);
