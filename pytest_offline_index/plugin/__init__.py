"""The pytest plugin, and the only place pytest is imported: hooks, options, fixtures, items,
the session's index and its sharing between xdist workers."""
