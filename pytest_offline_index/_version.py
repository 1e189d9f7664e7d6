"""The harness's version, in one place: the package's ``__version__`` and, through
``[tool.setuptools.dynamic]`` in pyproject.toml, its metadata (read without importing)."""

__version__ = "0.1.0"
