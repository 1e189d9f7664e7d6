"""Pure judgements over evidence: where each file came from, installed against warmed, the holes
an installer names."""
