"""Core of sohoa: settings, domain values, the error tree and Vietnamese text rules.

Nothing here imports another sohoa package; every other package may import this one.
"""
