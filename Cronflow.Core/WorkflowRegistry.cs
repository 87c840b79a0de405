namespace Cronflow;

/// <summary>The registered workflows of a host, checked together (ids, webhook routes).</summary>
internal sealed class WorkflowRegistry
{
    private readonly Dictionary<string, WorkflowDefinition> _workflows = new(StringComparer.Ordinal);

    public WorkflowRegistry(IEnumerable<WorkflowDefinition> definitions)
    {
        var errors = new List<DefinitionError>();
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            if (!_workflows.TryAdd(definition.Id, definition))
            {
                errors.Add(new DefinitionError(ErrorCodes.DuplicateWorkflowId, definition.Id, "id", $"A workflow with id '{definition.Id}' is already registered."));
                continue;
            }

            foreach (var webhook in definition.Webhooks)
            {
                var route = $"{webhook.Options.Method.ToUpperInvariant()} {webhook.Path}";
                if (!routes.TryAdd(route, definition.Id))
                {
                    errors.Add(new DefinitionError(ErrorCodes.InvalidWebhook, definition.Id, $"webhook {webhook.Path}", $"The webhook route {route} is already registered by workflow '{routes[route]}'."));
                }
            }
        }

        foreach (var definition in _workflows.Values)
        {
            foreach (var subflow in definition.Subflows.Where(s => !_workflows.ContainsKey(s.WorkflowId)))
            {
                errors.Add(new DefinitionError(ErrorCodes.UnknownSubflow, definition.Id, subflow.Path, $"Subflow '{subflow.Name}' runs workflow '{subflow.WorkflowId}', which is not registered."));
            }
        }

        if (errors.Count > 0)
        {
            throw new WorkflowDefinitionException(errors);
        }
    }

    public IReadOnlyCollection<WorkflowDefinition> All => _workflows.Values;

    public bool TryGet(string workflowId, out WorkflowDefinition definition) => _workflows.TryGetValue(workflowId ?? "", out definition!);

    public WorkflowDefinition Get(string workflowId) =>
        TryGet(workflowId, out var definition) ? definition : throw new WorkflowNotFoundException(workflowId);

    public IReadOnlyList<WorkflowDefinition> SubscribedTo(string eventName) =>
        _workflows.Values.Where(w => w.Events.Contains(eventName, StringComparer.Ordinal)).OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
}
