"""The stages a document goes through after intake, one module each: ``ocr``, ``metadata``
(extract), ``signing``, ``archive`` (the archive write); ``work`` is what they share. Each takes a
runtime and a document id and returns the next task's name, or None."""
