// The tests share one Azurite and two cores; crash timing and load tests must not compete with each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
