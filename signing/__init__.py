"""PAdES signing and verification: signer backends (who signs: PKCS#12, PKCS#11, development CA),
``pades.sign_pdf`` (what is signed, B-B to B-LTA, certified or field-locked, with the optional
``stamp`` of an electronic copy), ``verify.verify_pdf`` against ``trust.trust_roots`` (built from
``signed_pdf`` (reading the fields), ``inspection`` (one signature or timestamp), ``levels`` and the
problem codes of ``problems``), ``renewal`` of archive timestamps and ``certificates`` health checks
(expiry, chain, key, revocation)."""
