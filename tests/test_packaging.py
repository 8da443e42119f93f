"""What a department installs is the whole product, under one name, whatever builds it.

The wheel is built the way ``pip install .`` and the Dockerfile build it; the tests check what it
holds, not what the tree holds: every module and package-data file of the product is inside, and the
only top-level name it adds to site-packages is ``sohoa``. The Docker image is built from the
context that ``.dockerignore`` leaves (Docker itself cannot run on these machines), so that context
is reproduced file by file and its wheel checked the same way.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.corpus import REPO

PRODUCT_FOLDERS = ("core", "ingest", "signing", "storage", "pipeline", "registry", "api", "cli")
# Files of the product folders that are not part of the product.
_NOT_SHIPPED = ("__pycache__", ".pyc")


def _product_files(root: Path) -> set[str]:
    """Every file of the product folders, as its path inside the wheel (``sohoa/<folder>/...``)."""
    found = set()
    for folder in PRODUCT_FOLDERS:
        for path in (root / folder).rglob("*"):
            if path.is_file() and not any(part in str(path) for part in _NOT_SHIPPED):
                found.add("sohoa/" + path.relative_to(root).as_posix())
    return found


def _build_wheel(source: Path, out: Path) -> Path:
    # With build isolation, as pip install and the Dockerfile build it (setuptools from pyproject's pin).
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = out.glob("sohoa-*.whl")
    return wheel


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {n for n in zf.namelist() if not n.endswith("/")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the tree without the editable install's egg-info, as a clean clone would be.
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(
        REPO,
        source,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "var", "*.egg-info", "__pycache__", "build", "dist"),
    )
    return _build_wheel(source, tmp_path_factory.mktemp("wheel"))


def test_the_wheel_adds_one_top_level_name(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in _wheel_names(wheel)}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"sohoa"}
    with zipfile.ZipFile(wheel) as zf:
        info = next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "sohoa = sohoa.cli.main:app" in zf.read(info).decode()


def test_the_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    names = _wheel_names(wheel)
    missing = _product_files(REPO) - names
    assert not missing, sorted(missing)
    # The kinds of file that were once forgotten, named so a glob change cannot drop them unseen.
    for needed in (
        "sohoa/storage/migrations/env.py",
        "sohoa/storage/migrations/script.py.mako",
        "sohoa/api/web/templates/base.html",
        "sohoa/api/web/locales/vi.json",
        "sohoa/api/web/static/web.css",
    ):
        assert needed in names, needed
    assert any(n.startswith("sohoa/storage/migrations/versions/") and n.endswith(".py") for n in names)
    assert any(n.startswith("sohoa/registry/") for n in names)


def test_the_wheel_imports_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    """Unpacked alone, next to the installed dependencies but without the editable install's finder."""
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(unpacked)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    code = "\n".join(
        [
            "import importlib, pkgutil, sys, sohoa",
            "assert all(p.startswith(sys.argv[1]) for p in sohoa.__path__), list(sohoa.__path__)",
            "import sohoa.api.app, sohoa.cli.main, sohoa.pipeline.celery_queue",
            "for m in pkgutil.walk_packages(sohoa.__path__, 'sohoa.'):",
            "    importlib.import_module(m.name)",
            "try:",
            "    import core",
            "except ImportError:",
            "    pass",
            "else:",
            "    raise SystemExit('core importable')",
        ]
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(unpacked), *deps])
    # -S: no site processing, so the .pth of the editable install (which maps sohoa to the tree) is off.
    done = subprocess.run(
        [sys.executable, "-S", "-c", code, str(unpacked)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


# --- the Docker build context -------------------------------------------------------------------


def _dockerignore_patterns(root: Path) -> list[tuple[bool, str]]:
    """(exclude, pattern) in file order; this file uses only names, globs, ``**/`` and ``!``."""
    rules = []
    for line in (root / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        rules.append((not negate, line.lstrip("!").strip("/")))
    return rules


def _ignored(rel: str, rules: list[tuple[bool, str]]) -> bool:
    """Docker's rule: the last matching pattern decides; a pattern matching a folder covers its files."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for exclude, pattern in rules:
        candidates = [pattern, pattern.removeprefix("**/")] if pattern.startswith("**/") else [pattern]
        for pat in candidates:
            anywhere = pat != pattern  # "**/x" matches x at any depth
            targets = prefixes if not anywhere else [p for i in range(len(parts)) for p in ["/".join(parts[i:])]]
            if any(fnmatch.fnmatchcase(t, pat) for t in targets) or (
                anywhere and any(fnmatch.fnmatchcase(part, pat) for part in parts)
            ):
                verdict = exclude
    return verdict


def _context(root: Path) -> list[str]:
    """The repository's committed files (as a clean clone has them) that the Docker context keeps."""
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout
    rules = _dockerignore_patterns(root)
    return [rel for rel in listed.splitlines() if (root / rel).exists() and not _ignored(rel, rules)]


def test_the_dockerfile_builds_the_wheel_from_the_whole_context() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert "COPY . ." in text and "pip wheel" in text, "the image must be built from the package as a whole"
    for folder in PRODUCT_FOLDERS:
        assert f"COPY {folder}" not in text, f"a folder list in the Dockerfile ({folder}) is one to forget"


def test_the_docker_context_gives_a_complete_wheel(tmp_path: Path) -> None:
    kept = _context(REPO)
    assert not [k for k in kept if k.startswith(("tests/", "bench/", "testkit/", ".git/"))], "context too wide"
    context = tmp_path / "context"
    for rel in kept:
        target = context / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    wheel = _build_wheel(context, tmp_path / "wheel")
    names = _wheel_names(wheel)
    committed = {f"sohoa/{rel}" for rel in kept if rel.split("/")[0] in PRODUCT_FOLDERS}
    assert committed, "the context holds no product folder"
    missing = committed - names
    assert not missing, sorted(missing)
    # Every product file git knows is in the context, hence in the image.
    tracked = subprocess.run(["git", "ls-files", *PRODUCT_FOLDERS], cwd=REPO, capture_output=True, text=True)
    assert {f"sohoa/{rel}" for rel in tracked.stdout.splitlines()} <= names


def test_dockerignore_matching_follows_dockers_rules() -> None:
    rules = [(True, "tests"), (True, "**/__pycache__"), (True, "*.egg-info"), (False, "tests/keep.txt")]
    assert _ignored("tests/a/b.py", rules)
    assert not _ignored("tests/keep.txt", rules)
    assert _ignored("core/__pycache__/x.pyc", rules)
    assert _ignored("sohoa.egg-info/PKG-INFO", rules)
    assert not _ignored("core/errors.py", rules)
    assert not _ignored("api/tests.py", rules)
