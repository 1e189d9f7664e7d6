"""Commands that never outlive the run: subprocesses, processes, the hermetic environment."""
