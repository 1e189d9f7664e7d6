"""How another process of the run reaches a running index: a small typed record, as JSON.

The owner writes it (``OfflineIndex.handle``); an xdist worker reads it and attaches
(``OfflineIndex.attach``): the holder's control socket, devpi's dir, port and pid, the
relay's address and the upstream addresses the cut must make unreachable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..devpi.server import DevpiServer
from ..netns import Endpoint, Place


@dataclass(frozen=True)
class IndexHandle:
    control: str
    workdir: str
    serverdir: str
    port: int
    client_host: str
    pid: int
    relay: tuple[str, int]
    endpoints: tuple[Endpoint, ...]
    ca_bundle: str  # what devpi verifies the upstream with ("": certifi's bundle)

    @classmethod
    def of(cls, control: str, workdir: Path, server: DevpiServer, relay: tuple[str, int],
           endpoints: tuple[Endpoint, ...]) -> IndexHandle:
        return cls(control, str(workdir), str(server.serverdir), server.port,
                   server.client_host, server.pid or 0, relay, endpoints,
                   str(server.ca_bundle or ""))

    def server(self, upstream: str, namespace: Place) -> DevpiServer:
        """A view of the owner's devpi-server: usable, never stopped from here."""
        return DevpiServer.attached(
            Path(self.serverdir), upstream, namespace=namespace, port=self.port,
            client_host=self.client_host, pid=self.pid,
            ca_bundle=Path(self.ca_bundle) if self.ca_bundle else None)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> IndexHandle:
        raw = json.loads(text)
        relay_host, relay_port = raw["relay"]
        return cls(str(raw["control"]), str(raw["workdir"]), str(raw["serverdir"]),
                   int(raw["port"]), str(raw["client_host"]), int(raw["pid"]),
                   (str(relay_host), int(relay_port)),
                   tuple(Endpoint(int(e["family"]), str(e["address"]), int(e["port"]))
                         for e in raw["endpoints"]), str(raw["ca_bundle"]))
