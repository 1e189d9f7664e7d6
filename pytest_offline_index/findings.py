"""What the proofs find, as plain records: a hole in an index, an installed version unlike
the warmed one, an import's result. The errors carry them; nothing here knows more."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hole:
    project: str
    version: str | None = None
    filename: str | None = None
    yanked: tuple[str, ...] = ()  # its only candidates, each yanked (PEP 592)
    where: str = field(default="the cache", compare=False)  # an existing index: "the index"

    def __str__(self) -> str:
        if self.filename:
            return f"{self.project} {self.version} ({self.filename})"
        if self.yanked:
            return (f"{self.project} (only yanked releases in {self.where}: "
                    f"{', '.join(self.yanked)}; an installer takes a yanked release only when "
                    f"pinned with ==)")
        return f"{self.project} (no release of it is in {self.where})"


@dataclass(frozen=True)
class Difference:
    """One project whose installed version is not one the warm fetched."""

    project: str
    warmed: tuple[str, ...]  # versions the warm fetched; empty: none
    installed: str

    def __str__(self) -> str:
        warmed = ", ".join(self.warmed) or "none"
        return f"{self.project}: warmed {warmed}, installed {self.installed}"


@dataclass(frozen=True)
class ImportResult:
    module: str
    ok: bool
    detail: str
    seconds: float = 0.0
