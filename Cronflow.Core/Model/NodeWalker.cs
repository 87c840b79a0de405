namespace Cronflow;

/// <summary>The model's tree walk, shared by the definition, its validation, the fingerprint and the dashboard.</summary>
internal static class NodeWalker
{
    /// <summary>Every node of a tree, depth first, not descending into for-each bodies (their own scope).</summary>
    public static IEnumerable<Node> Walk(IEnumerable<Node> nodes)
    {
        foreach (var node in nodes)
        {
            yield return node;
            foreach (var child in node.ChildLists.SelectMany(Walk))
            {
                yield return child;
            }
        }
    }
}
