"""A labelled set of generated documents in the Nghị định 30/2020 layout (see ``generator``)."""
