"""devpi-server: its lifecycle, the server dir that lasts, and what it trusts."""
