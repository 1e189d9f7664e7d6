"""The library face: an index of the run's own (devpi, warmed, cut) or an existing one, brought
up and torn down as one lifecycle."""
