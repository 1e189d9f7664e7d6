"""The export a far side carries: written, then proven with pip --no-index and with devpi's own
export."""
