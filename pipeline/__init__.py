"""Control flow of sohoa: intake, stage tasks over document ids, and the job queue.

The stages themselves (``ingest``, ``signing``) are plain functions; this package reads
their inputs from the catalogue and object store, runs them, and records the outcome.
"""
