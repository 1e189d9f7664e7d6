"""Static file server for the local upstream; ``<root>/.delay`` slows file downloads.

Run as a script (``python httpd.py ROOT PORT [PEM]``) inside the upstream namespace; with a
PEM file (certificate and key) it serves https.
"""

from __future__ import annotations

import functools
import ssl
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        delay = Path(self.directory) / ".delay"
        if self.path.startswith("/files/") and delay.exists():
            time.sleep(float(delay.read_text() or 0))
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    root, port = sys.argv[1], int(sys.argv[2])
    handler = functools.partial(Handler, directory=root)
    server = ThreadingHTTPServer(("0.0.0.0", port), handler)
    if len(sys.argv) > 3:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
