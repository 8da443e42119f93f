"""Signing material shared by the tests and the benches: throwaway CAs and keys, a local TSA/OCSP/CRL
service, SoftHSM2 tokens. Never installed with sohoa; the benches must not import ``tests``."""
