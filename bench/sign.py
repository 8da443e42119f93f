"""Signing throughput: sohoa's signing path against a naive pyHanko loop, in one run.

    python bench/sign.py [--docs 60]

Signs the same 10-page PDF repeatedly and prints documents per second for:
  naive          pyHanko ``signers.sign_pdf`` with a PKCS#12 ``SimpleSigner`` loaded once (RSA-2048, B-B)
  p12-rsa B-B    sohoa ``sign_pdf``, PKCS#12 RSA-2048
  p12-ec B-B     sohoa ``sign_pdf``, PKCS#12 ECDSA P-256
  softhsm B-B    sohoa ``sign_pdf``, SoftHSM2 token RSA-2048 (skipped when SoftHSM2 is missing)
  p12-rsa B-T    sohoa ``sign_pdf`` with a TSA on loopback (certomancer)
  p12-ec stamp   sohoa ``sign_pdf``, B-B with the visible "SAO Y" stamp (font subset embedded)
and each one's ratio to the naive loop. Key material, token and TSA are made in a temporary directory.
The SoftHSM2 token and the local PKI come from the signing tests' helpers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.fields import SigSeedSubFilter  # noqa: E402

from sohoa.core.domain import SignRequest  # noqa: E402
from sohoa.signing.backends import SignerBackend, open_pkcs11, open_pkcs12  # noqa: E402
from sohoa.signing.pades import sign_pdf  # noqa: E402
from sohoa.signing.stamp import CopyStamp  # noqa: E402
from testkit.localpki import local_pki  # noqa: E402
from testkit.material import TestCa, make_pdf, new_key, write_pkcs12  # noqa: E402
from testkit.softhsm import find_module, make_token  # noqa: E402

PASSPHRASE = b"bench passphrase"


def measure(runs: list[tuple[str, Callable[[int], None], int]], rounds: int) -> list[tuple[str, float]]:
    """Documents per second for each configuration.

    Configurations take turns in ``rounds`` rounds, so a burst of load from elsewhere on the machine
    slows all of them alike and the ratios stay fair."""
    for _, run, _ in runs:  # warm-up: first-use costs (imports, sessions, TSA dummy response)
        run(-1)
        run(-2)
    spent = [0.0] * len(runs)
    done = [0] * len(runs)
    for r in range(rounds):
        for k, (_, run, docs) in enumerate(runs):
            batch = docs // rounds + (1 if r < docs % rounds else 0)
            start = time.perf_counter()
            for i in range(batch):
                run(done[k] + i)
            spent[k] += time.perf_counter() - start
            done[k] += batch
    return [(name, done[k] / spent[k]) for k, (name, _, _) in enumerate(runs)]


def naive_loop(p12: Path, source: Path, out_dir: Path) -> Callable[[int], None]:
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSPHRASE)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )

    def run(i: int) -> None:
        with open(source, "rb") as fh, open(out_dir / f"naive-{i % 4}.pdf", "wb") as out:
            signers.sign_pdf(IncrementalPdfFileWriter(fh), meta, signer=signer, output=out)

    return run


def sohoa_loop(
    backend: SignerBackend,
    source: Path,
    out_dir: Path,
    name: str,
    level: str = "B-B",
    tsa: str | None = None,
    stamp: CopyStamp | None = None,
) -> Callable[[int], None]:
    def run(i: int) -> None:
        request = SignRequest(source, out_dir / f"{name}-{i % 4}.pdf", level=level)  # type: ignore[arg-type]
        sign_pdf(request, backend, timestamper=tsa, stamp=stamp)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=60, help="documents per configuration (B-T: half)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-sign-"))
    try:
        source = make_pdf(work / "ten-pages.pdf", pages=10)
        ca = TestCa.create("sohoa bench root")
        p12 = {}
        for kind in ("rsa", "ec"):
            key = new_key(kind)
            p12[kind] = write_pkcs12(work / f"{kind}.p12", key, ca.issue(key, f"bench {kind}"), [ca.cert], PASSPHRASE)

        with ExitStack() as stack:
            bt_docs = max(1, args.docs // 2)
            runs: list[tuple[str, Callable[[int], None], int]] = [
                ("naive pyHanko p12-rsa B-B", naive_loop(p12["rsa"], source, work), args.docs)
            ]
            for kind in ("rsa", "ec"):
                backend = stack.enter_context(open_pkcs12(p12[kind], PASSPHRASE))
                runs.append((f"sohoa p12-{kind} B-B", sohoa_loop(backend, source, work, f"p12-{kind}"), args.docs))
            stamp = CopyStamp(agency_name="Sở Văn hóa, Thể thao và Du lịch")
            stamped = sohoa_loop(backend, source, work, "stamp", stamp=stamp)
            runs.append(("sohoa p12-ec B-B + SAO Y stamp", stamped, args.docs))
            module, util = find_module(), shutil.which("softhsm2-util")
            if module is not None and util is not None:
                token = make_token(work / "softhsm", module, util, ca)
                token_backend = stack.enter_context(open_pkcs11(token.config("rsa"), pin=token.pin))
                runs.append(("sohoa softhsm-rsa B-B", sohoa_loop(token_backend, source, work, "hsm"), args.docs))
            else:
                print("softhsm2 not installed: SoftHSM2 row skipped", file=sys.stderr)
            pki = stack.enter_context(local_pki(work / "pki"))
            backend = stack.enter_context(open_pkcs12(p12["rsa"], PASSPHRASE))
            runs.append(
                (
                    "sohoa p12-rsa B-T (loopback TSA)",
                    sohoa_loop(backend, source, work, "bt", level="B-T", tsa=pki.tsa_url),
                    bt_docs,
                )
            )
            results = measure(runs, rounds=min(10, bt_docs))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    naive = results[0][1]
    print(f"10-page PDF, {args.docs} documents per row (B-T: {max(1, args.docs // 2)}), rows interleaved")
    print(f"{'configuration':36s} {'docs/s':>8s} {'vs naive':>9s}")
    for name, rate in results:
        print(f"{name:36s} {rate:8.1f} {rate / naive:8.1f}x")


if __name__ == "__main__":
    main()
