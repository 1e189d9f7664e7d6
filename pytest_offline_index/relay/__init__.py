"""The one way out of the run's namespaces: an HTTP(S) forward proxy that knows sockets, the
host's own proxy and certificates, nothing of devpi or pytest."""
