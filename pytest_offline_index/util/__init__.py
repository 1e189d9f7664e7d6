"""Small helpers with no knowledge of the rest: flock, whole-file writes, TOML, redaction,
numbers in words."""
