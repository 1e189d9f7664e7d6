"""Fresh venvs on the air-gapped client, made as the far side makes them, and the installers
that fill them."""
