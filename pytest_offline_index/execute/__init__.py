"""Commands that never outlive the run: subprocesses, interrupts, processes, the hermetic
environment."""
