namespace Cronflow.Benchmarks.Harness;

/// <summary>Median, minimum and maximum of a set of measurements.</summary>
internal sealed record Stats(double Median, double Min, double Max, int Count)
{
    public static Stats Of(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return new Stats(double.NaN, double.NaN, double.NaN, 0);
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Stats(median, sorted[0], sorted[^1], sorted.Length);
    }

    public string Format(Func<double, string> format, string unit = "") =>
        $"median {format(Median)}{unit}  min–max {format(Min)}–{format(Max)}{unit}  (n={Count})";
}

/// <summary>One line of the summary: a bar and whether it holds. <see cref="Pass"/> is null for figures that are only reported.</summary>
internal sealed record BarResult(string Id, string What, string Value, string Bar, bool? Pass, string Note = "")
{
    public string Verdict => Pass switch
    {
        true => "PASS",
        false => "FAIL",
        null => "INFO",
    };

    public string Line => $"{Id} {What} {Value} {Bar} {Verdict}".Replace("  ", " ", StringComparison.Ordinal).TrimEnd();

    public static BarResult Skipped(string id, string what, string why) => new(id, what, "-", "-", null, "skipped: " + why);
}
