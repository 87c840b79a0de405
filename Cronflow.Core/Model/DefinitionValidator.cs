using System.Text.RegularExpressions;

namespace Cronflow;

/// <summary>
/// Collects the problems of one workflow definition (or one for-each body) instead of throwing, so that they are
/// reported together: the rules for names, ids and timeouts, the checks of a finished tree (unique names, empty
/// branches, for-each bodies) with the names it gives unnamed blocks, and the order problems are reported in.
/// </summary>
internal sealed partial class DefinitionValidator(string workflowId)
{
    /// <summary>The longest step or block name.</summary>
    public const int MaxNameLength = 100;

    private readonly List<DefinitionError> _errors = [];

    /// <summary>Whether any problem was found.</summary>
    public bool HasErrors => _errors.Count > 0;

    /// <summary>Records a problem at <paramref name="path"/>.</summary>
    public void Error(string code, string path, string message) => _errors.Add(new DefinitionError(code, workflowId, path, message));

    /// <summary>The problems found so far, as one exception, in definition order.</summary>
    public WorkflowDefinitionException ToException() => new(InDefinitionOrder(_errors));

    /// <summary>Checks the workflow id; a bad id is reported before every other problem.</summary>
    public void CheckWorkflowId()
    {
        if (!WorkflowIdPattern().IsMatch(workflowId))
        {
            _errors.Insert(0, new DefinitionError(ErrorCodes.InvalidWorkflowId, workflowId, "id", $"The workflow id '{workflowId}' must be 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit."));
        }
    }

    /// <summary>Checks a step or block name; a missing name is a problem only when <paramref name="requiredFor"/> says what needs one.</summary>
    public void CheckName(string? name, string path, string? requiredFor = null)
    {
        if (name is null)
        {
            if (requiredFor is not null)
            {
                Error(ErrorCodes.InvalidStepName, path, $"{requiredFor} has no name.");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Contains('/', StringComparison.Ordinal) || name.Contains('#', StringComparison.Ordinal))
        {
            Error(ErrorCodes.InvalidStepName, path, $"The name '{name}' must be 1 to {MaxNameLength} characters, not blank, without '/' or '#'.");
        }
    }

    /// <summary>Checks that a timeout or duration (<paramref name="what"/>, for the message) is positive.</summary>
    public void CheckTimeout(TimeSpan timeout, string path, string what)
    {
        if (timeout <= TimeSpan.Zero)
        {
            Error(ErrorCodes.InvalidTimeout, path, $"{what} is {timeout}; it must be positive.");
        }
    }

    /// <summary>
    /// Checks a finished tree: names are unique (explicit names and else-if branch names), no <c>If</c> branch is
    /// empty, and each for-each body builds for a default item (kept as the node's <see cref="ForEachNode.Template"/>).
    /// Then names the unnamed blocks (<c>parallel-1</c>, <c>sleep-2</c>, …), skipping names already taken.
    /// </summary>
    public void CheckTree(IReadOnlyList<Node> root)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var autoCounters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in NodeWalker.Walk(root))
        {
            if (node.HasExplicitName)
            {
                Claim(node.Name, node.Path);
            }

            if (node is IfNode ifNode)
            {
                foreach (var branch in ifNode.Branches.Skip(1))
                {
                    Claim(branch.Name, ifNode.Path);
                }

                foreach (var branch in ifNode.Branches.Where(b => b.Nodes.Count == 0))
                {
                    Error(ErrorCodes.EmptyWorkflow, ifNode.Path, $"Branch '{branch.Name}' of if '{ifNode.Name}' has no steps.");
                }

                if (ifNode.Else is { Count: 0 })
                {
                    Error(ErrorCodes.EmptyWorkflow, ifNode.Path, $"The Else branch of if '{ifNode.Name}' has no steps.");
                }
            }

            if (node is ForEachNode forEach)
            {
                CheckTemplate(forEach);
            }
        }

        foreach (var node in NodeWalker.Walk(root).Where(n => !n.HasExplicitName))
        {
            string candidate;
            do
            {
                var next = autoCounters.GetValueOrDefault(node.AutoNamePrefix) + 1;
                autoCounters[node.AutoNamePrefix] = next;
                candidate = $"{node.AutoNamePrefix}-{next}";
            }
            while (names.ContainsKey(candidate));

            node.Name = candidate;
            names[candidate] = node.Path;
        }

        void Claim(string name, string path)
        {
            if (name.Length == 0)
            {
                return;
            }

            if (names.TryGetValue(name, out var first))
            {
                Error(ErrorCodes.DuplicateStepName, path, $"The name '{name}' is already used by the step at {first}; step names must be unique in a workflow.");
            }
            else
            {
                names[name] = path;
            }
        }
    }

    private void CheckTemplate(ForEachNode node)
    {
        try
        {
            node.Template = node.BuildBody(workflowId, CronflowJson.NullElement);
        }
        catch (WorkflowDefinitionException ex)
        {
            _errors.AddRange(ex.Errors);
        }
        catch (ForEachBodyException)
        {
            // A body that cannot be built for a default item is checked per item when the run builds it.
        }
    }

    /// <summary>
    /// Orders problems as they appear in the definition: workflow-level problems (id, options, triggers) first,
    /// then by node path (outer before inner, branches in order). The sort is stable.
    /// </summary>
    private static List<DefinitionError> InDefinitionOrder(IEnumerable<DefinitionError> errors) =>
        errors.Select((error, index) => (error, index))
            .OrderBy(e => e.error.Path.Length > 0 && char.IsDigit(e.error.Path[0]) ? 1 : 0)
            .ThenBy(e => e.error.Path, PathComparer.Instance)
            .ThenBy(e => e.index)
            .Select(e => e.error)
            .ToList();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex WorkflowIdPattern();

    /// <summary>Compares node paths segment by segment: numbers numerically, <c>b0</c> &lt; <c>b1</c> &lt; <c>else</c>.</summary>
    private sealed class PathComparer : IComparer<string>
    {
        public static PathComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null || x.Length == 0 || !char.IsDigit(x[0]) || y.Length == 0 || !char.IsDigit(y[0]))
            {
                return 0;
            }

            var a = x.Split('/', '#');
            var b = y.Split('/', '#');
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                var order = Rank(a[i]).CompareTo(Rank(b[i]));
                if (order != 0)
                {
                    return order;
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        private static long Rank(string segment) => segment switch
        {
            "else" => int.MaxValue,
            "each" => 0,
            _ when segment.StartsWith('b') && int.TryParse(segment.AsSpan(1), out var branch) => branch,
            _ when long.TryParse(segment, out var index) => index,
            _ => int.MaxValue + 1L,
        };
    }
}
