"""The check's one sequence, without pytest: warm, cut, install, import, bundle; its pool of
side-by-side installs and its JSON report."""
