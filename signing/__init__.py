"""PAdES signing and verification: signer backends (who signs: PKCS#12, PKCS#11, development CA),
``pades.sign_pdf`` (what is signed, B-B to B-LTA), ``verify.verify_pdf`` and certificate health checks."""
