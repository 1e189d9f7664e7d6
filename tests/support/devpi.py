"""What the tests do to a running devpi-server that the harness never does."""

from __future__ import annotations

from pytest_offline_index.devpi.server import DevpiServer


def refresh(server: DevpiServer, project: str) -> None:
    """Make devpi re-fetch a project's page from the upstream now (as it does on expiry)."""
    server._request("POST", f"/{server.index_name}/+simple/{project}/refresh", {},
                    ok=(200, 302))
