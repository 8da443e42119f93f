"""The catalogues: both languages complete and alike, every key the interface uses present."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import sohoa.core.errors
from sohoa.api.rights import Right
from sohoa.api.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, load_catalogue
from sohoa.api.web.rendering import menu
from sohoa.api.web.views.review_views import REVIEW_FIELDS
from sohoa.core.domain import DocumentState, Metadata, Role

WEB = Path(__file__).resolve().parents[3] / "api" / "web"
# t("key"), t('key', ...) in templates and scripts
_CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
# "area.name" string literals in the Python of the package: message keys handed to pages
_LITERAL = re.compile(r"""["']((?:error|nav|dashboard|review|upload|search|document|registry)\.[a-z0-9_]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("static/*.js")]:
        # t("dashboard." ~ name) builds a key: its prefix alone is not one (the pages' tests render them)
        keys |= {k for k in _CALL.findall(path.read_text(encoding="utf-8")) if not k.endswith(".")}
    for path in WEB.rglob("*.py"):
        keys |= {k for k in _LITERAL.findall(path.read_text(encoding="utf-8")) if not k.endswith((".html", ".py"))}
    return keys


def test_vietnamese_is_the_default() -> None:
    assert DEFAULT_LANGUAGE == "vi" and LANGUAGES[0] == "vi"


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    vi, en = load_catalogue("vi"), load_catalogue("en")
    assert set(vi) == set(en)
    for key in vi:
        assert vi[key].strip() and en[key].strip(), key
        assert _placeholders(vi[key]) == _placeholders(en[key]), key


def test_vietnamese_texts_are_written_in_vietnamese() -> None:
    """Guards against English pasted into the Vietnamese catalogue: most sentences carry diacritics."""
    vi, en = load_catalogue("vi"), load_catalogue("en")
    differing = [k for k in vi if vi[k] != en[k]]
    assert len(differing) > 0.9 * len(vi)
    accented = [k for k in differing if any(ord(ch) > 127 for ch in vi[k])]
    assert len(accented) > 0.8 * len(differing)


def test_every_key_used_by_templates_scripts_and_code_exists() -> None:
    used = _used_keys()
    assert len(used) > 200  # the scan found the interface's keys, not nothing
    catalogue = load_catalogue("vi")
    assert sorted(used - set(catalogue)) == []


def test_codes_of_the_domain_have_words() -> None:
    t = Translator("vi")
    for state in DocumentState:
        assert t.has(f"state.{state.value}"), state
    for role in Role:
        assert t.has(f"role.{role.value}"), role
    for right in Right:
        assert t.has(f"right.{right.value}"), right
    for name in [*Metadata().to_dict().keys() - {"confidence"}, "printed_procedure_code", "printed_dossier_code"]:
        assert t.has(f"field.{name}"), name
    for name, _kind in REVIEW_FIELDS:
        assert t.has(f"field.{name}"), name
    for item in menu_items():
        assert t.has(item), item


def menu_items() -> list[str]:
    from sohoa.api.deps import Principal

    return [item.label_key for item in menu(Principal(1, "admin", Role.ADMIN))]


def test_every_refusal_code_of_the_error_tree_is_a_sentence() -> None:
    """The codes listed in ``core.errors``' tree reach people as sentences, in both languages."""
    listed = re.search(r"\(codes: ([^)]*)\)", sohoa.core.errors.__doc__ or "", re.S)
    assert listed is not None
    words = re.findall(r"[a-z_]+", listed.group(1))
    codes = [w for w in words if w != "_"]
    assert "empty_file" in codes and len(codes) >= 10
    for lang in LANGUAGES:
        t = Translator(lang)
        for code in codes:
            assert t.has(f"reason.{code}"), (lang, code)
            assert code not in t.reason(code)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_codes_turn_into_sentences(lang: str) -> None:
    t = Translator(lang)
    assert t.reason("password_protected") == load_catalogue(lang)["reason.password_protected"]
    unknown = t.reason("brand_new_code", "something odd")
    assert "brand_new_code" in unknown and "something odd" in unknown
    missing = t.review_reason("missing:signer_name")
    assert t.field("signer_name") in missing and "signer_name" not in missing
    assert t.review_reason("policy:always") == load_catalogue(lang)["review.policy_always"]
    assert "xyz" in t.review_reason("xyz")
    assert t.state("archived") == load_catalogue(lang)["state.archived"]
    assert t.action("download.signed") == load_catalogue(lang)["action.download_signed"]


def test_a_missing_value_shows_its_name_instead_of_failing() -> None:
    assert "{n}" in Translator("en")("review.queue_count")
    assert Translator("en")("review.queue_count", n=3) == "3 documents are waiting for review."


def test_client_texts_are_the_prefixes_asked_for() -> None:
    texts = Translator("en").client_texts("uploadjs.", "state.")
    assert texts and all(k.startswith(("uploadjs.", "state.")) for k in texts)
    assert texts["state.archived"] == "Archived"
