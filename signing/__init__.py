"""PAdES signing and verification: signer backends (who signs: PKCS#12, PKCS#11, development CA),
``pades.sign_pdf`` (what is signed, B-B to B-LTA, with the optional ``stamp`` of an electronic copy),
``verify.verify_pdf`` against ``trust.trust_roots``, ``renewal`` of archive timestamps and
``certificates`` health checks (expiry, chain, key, revocation)."""
