"""Static file server for the local upstream; ``<root>/.delay`` slows file downloads,
``<root>/.auth`` (``user:password``) makes every request need those credentials, and
``<root>/.redirect`` (a base URL) answers every file download with a 302 to that base URL
plus the file's name (an index whose files are served by another server).

Run as a script (``python httpd.py ROOT ADDRESS[,ADDRESS...] PORT [PEM]``): it serves on
PORT (0: a free one) of every address, and prints the port; with a PEM file (certificate and
key) it serves https.
"""

from __future__ import annotations

import base64
import functools
import ssl
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        auth = Path(self.directory) / ".auth"
        if auth.exists():
            expected = "Basic " + base64.b64encode(auth.read_bytes().strip()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="local upstream"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        delay = Path(self.directory) / ".delay"
        if self.path.startswith("/files/") and delay.exists():
            time.sleep(float(delay.read_text() or 0))
        redirect = Path(self.directory) / ".redirect"
        if self.path.startswith("/files/") and redirect.exists():
            self.send_response(302)
            self.send_header("Location", redirect.read_text().strip()
                             + self.path.split("?", 1)[0].rsplit("/", 1)[-1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    root, addresses, port = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
    handler = functools.partial(Handler, directory=root)
    context = None
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[4])
    servers: list[ThreadingHTTPServer] = []
    for address in addresses:
        server = ThreadingHTTPServer((address, servers[0].server_port if servers else port),
                                     handler)
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        servers.append(server)
    print(servers[0].server_port, flush=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
