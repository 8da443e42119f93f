"""The procedure catalogue, the register of resolved dossiers, and what they say about digitization coverage."""
