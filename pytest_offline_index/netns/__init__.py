"""The run's namespaces, for any user: a holder process keeps them, the kernel removes them.

Knows nothing of devpi or pytest. :class:`Topology` is what the harness uses: the gateway,
server and client namespaces as :class:`Place`\\ s — run a command there, or get a socket made
there — and the cut. See :mod:`.holder` and :mod:`.launcher` for the two processes behind it.
"""

from .alone import Alone, network_refusal, without_network
from .probe import Endpoint, ProbeResult, endpoints_for, probe, tunnel
from .sandbox import Place, Sandbox
from .topology import Addressing, Topology

__all__ = ["Addressing", "Alone", "Endpoint", "Place", "ProbeResult", "Sandbox", "Topology",
           "endpoints_for", "network_refusal", "probe", "tunnel", "without_network"]
