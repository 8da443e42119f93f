"""The web interface's pages, one module per area of work."""
