"""Static file server for the local upstream; ``<root>/.delay`` slows file downloads.

Run as a script (``python httpd.py ROOT PORT``) inside the upstream namespace.
"""

from __future__ import annotations

import functools
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
    ThreadingHTTPServer(("0.0.0.0", port), handler).serve_forever()


if __name__ == "__main__":
    main()
