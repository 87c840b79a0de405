using System.Globalization;
using System.Text;

namespace Cronflow.Dashboard;

/// <summary>
/// Draws a workflow's definition as nested HTML boxes: steps in order joined by arrows, parallel and race branches and
/// if/else branches as lanes side by side, loops, waits and subflows (linked to their workflow) as their own shapes.
/// </summary>
internal static class DashboardDiagram
{
    public static string Render(DashboardView view, WorkflowDefinition workflow)
    {
        var b = new StringBuilder();
        b.Append("<div class=\"diagram\" role=\"group\" aria-label=\"Diagram of ").Append(DashboardPages.E(workflow.Name)).Append("\">");
        b.Append("<div class=\"terminal\">start</div>");
        Sequence(b, view, workflow.Nodes);
        b.Append("<div class=\"terminal\">end</div></div>");
        return b.ToString();
    }

    private static void Sequence(StringBuilder b, DashboardView view, IReadOnlyList<Node> nodes)
    {
        b.Append("<ol class=\"seq\">");
        foreach (var node in nodes)
        {
            b.Append("<li>");
            Node(b, view, node);
            b.Append("</li>");
        }

        b.Append("</ol>");
    }

    private static void Node(StringBuilder b, DashboardView view, Node node)
    {
        switch (node)
        {
            case ParallelNode parallel:
                Block(b, node, "parallel", parallel.MaxConcurrency is { } max ? $"at most {max} at once" : null);
                Lanes(b, Enumerable.Range(0, parallel.Branches.Count).Select(i => $"{node.Name}[{i}]"), "branch");
                b.Append("</div>");
                break;
            case RaceNode race:
                Block(b, node, "race", "first success wins");
                Lanes(b, Enumerable.Range(0, race.Branches.Count).Select(i => $"{node.Name}[{i}]"), "branch");
                b.Append("</div>");
                break;
            case IfNode ifNode:
                Block(b, node, "if", null);
                b.Append("<div class=\"lanes\">");
                foreach (var branch in ifNode.Branches)
                {
                    b.Append("<div class=\"lane\"><div class=\"lane-label\">if ").Append(DashboardPages.E(branch.Name)).Append("</div>");
                    Sequence(b, view, branch.Nodes);
                    b.Append("</div>");
                }

                b.Append("<div class=\"lane\"><div class=\"lane-label\">else</div>");
                if (ifNode.Else is { } otherwise)
                {
                    Sequence(b, view, otherwise);
                }
                else
                {
                    b.Append("<p class=\"hint\">nothing</p>");
                }

                b.Append("</div></div></div>");
                break;
            case ForEachNode forEach:
                Block(b, node, "for each", forEach.MaxConcurrency is { } items ? $"at most {items} items at once" : "each item");
                if (forEach.Template is { Count: > 0 } template)
                {
                    Sequence(b, view, template);
                }

                b.Append("</div>");
                break;
            case WhileNode loop:
                Block(b, node, "loop", string.Create(CultureInfo.InvariantCulture, $"while the condition holds, up to {loop.MaxIterations} times"));
                b.Append("<div class=\"loop-body\">↻ body</div></div>");
                break;
            case SleepNode sleep:
                Shape(b, node, "wait", "sleep", DashboardPages.Duration(sleep.Duration));
                break;
            case WaitForEventNode wait:
                Shape(b, node, "wait", "wait for event", wait.EventName + (wait.WaitTimeout is { } t ? ", up to " + DashboardPages.Duration(t) : ""));
                break;
            case HumanNode human:
                Shape(b, node, "wait", "human approval", human.Description + (human.WaitTimeout is { } ht ? (human.Description.Length > 0 ? ", " : "") + "up to " + DashboardPages.Duration(ht) : ""));
                break;
            case SubflowNode subflow:
                b.Append("<div class=\"node subflow\" data-path=\"").Append(DashboardPages.E(node.Path)).Append("\"><span class=\"kind\">subflow</span> <span class=\"name\">")
                    .Append(DashboardPages.E(node.Name)).Append("</span> → <a href=\"").Append(DashboardPages.E(view.BasePath + "/workflows#wf-" + subflow.WorkflowId)).Append("\">")
                    .Append(DashboardPages.E(subflow.WorkflowId)).Append("</a>").Append(Policies(node)).Append("</div>");
                break;
            case CancelNode cancel:
                Shape(b, node, "cancel", "cancel", cancel.Reason);
                break;
            default:
                Shape(b, node, node.Kind, node.Kind, null);
                break;
        }
    }

    private static void Block(StringBuilder b, Node node, string kind, string? note)
    {
        b.Append("<div class=\"node block ").Append(kind.Replace(' ', '-')).Append("\" data-path=\"").Append(DashboardPages.E(node.Path)).Append("\">")
            .Append("<div class=\"block-title\"><span class=\"kind\">").Append(DashboardPages.E(kind)).Append("</span> <span class=\"name\">").Append(DashboardPages.E(node.Name)).Append("</span>");
        if (note is not null)
        {
            b.Append(" <span class=\"hint\">").Append(DashboardPages.E(note)).Append("</span>");
        }

        b.Append(Policies(node)).Append("</div>");
    }

    private static void Lanes(StringBuilder b, IEnumerable<string> names, string label)
    {
        b.Append("<div class=\"lanes\">");
        foreach (var name in names)
        {
            b.Append("<div class=\"lane\"><div class=\"node step\"><span class=\"kind\">").Append(label).Append("</span> <span class=\"name\">").Append(DashboardPages.E(name)).Append("</span></div></div>");
        }

        b.Append("</div>");
    }

    private static void Shape(StringBuilder b, Node node, string cssClass, string kind, string? note)
    {
        b.Append("<div class=\"node ").Append(cssClass).Append("\" data-path=\"").Append(DashboardPages.E(node.Path)).Append("\"><span class=\"kind\">").Append(DashboardPages.E(kind))
            .Append("</span> <span class=\"name\">").Append(DashboardPages.E(node.Name)).Append("</span>");
        if (!string.IsNullOrEmpty(note))
        {
            b.Append(" <span class=\"hint\">").Append(DashboardPages.E(note)).Append("</span>");
        }

        b.Append(Policies(node)).Append("</div>");
    }

    private static string Policies(Node node)
    {
        var parts = new List<string>();
        if (node.Policy.Retry is { } retry)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"retry ×{retry.Attempts}"));
        }

        if (node.Policy.Timeout is { } timeout)
        {
            parts.Add("timeout " + DashboardPages.Duration(timeout));
        }

        if (node.Policy.OnError is not null)
        {
            parts.Add("on error");
        }

        return parts.Count == 0 ? "" : " " + string.Join(" ", parts.Select(p => "<span class=\"policy\">" + DashboardPages.E(p) + "</span>"));
    }
}
