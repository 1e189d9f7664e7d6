"""What a run is given, checked before anything starts: settings, requirements files, target
Pythons and lockfiles."""
