"""Which files make one document: by stem and page number, by folder, by name."""

from __future__ import annotations

import pytest

from sohoa.core.errors import InputRejected
from sohoa.ingest.grouping import folder_groups, named_groups, natural_key, page_of, stem_groups


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("quyet-dinh_p1.jpg", ("quyet-dinh", 1)),
        ("quyet-dinh-p02.png", ("quyet-dinh", 2)),
        ("name-1.png", ("name", 1)),
        ("name_2.tif", ("name", 2)),
        ("scan (3).jpg", ("scan", 3)),
        ("Công văn trang 4.jpg", ("Công văn", 4)),
        ("vn005_congbot_21_p3.jpg", ("vn005_congbot_21", 3)),
        ("vn2021.pdf", None),
        ("ket-qua.pdf", None),
    ],
)
def test_page_of_a_name(name: str, expected: tuple[str, int] | None) -> None:
    assert page_of(name) == expected


def test_pages_join_by_stem_in_numeric_order() -> None:
    names = [f"hs_p{n}.jpg" for n in (10, 2, 7, 1, 9, 3, 5, 4, 8, 6)] + ["other.pdf", "hs-khac_p1.jpg"]
    [group] = stem_groups(names)
    assert [names[i] for i in group] == [f"hs_p{n}.jpg" for n in range(1, 11)]  # p10 last, not after p1


def test_stems_join_within_their_folder_and_ignore_case_and_separators() -> None:
    names = ["a/Scan_P1.JPG", "b/scan_p1.jpg", "a/scan-2.jpg", "b/scan_p2.jpg"]
    assert stem_groups(names) == [[0, 2], [1, 3]]


def test_numbered_documents_are_not_pages() -> None:
    assert stem_groups(["QĐ_15.pdf", "QĐ_16.pdf"]) == []  # two decisions, not pages 15 and 16


def test_a_repeated_or_missing_page_is_refused() -> None:
    with pytest.raises(InputRejected) as repeated:
        stem_groups(["a_p1.jpg", "a_p1.png", "a_p2.jpg"])
    assert repeated.value.code == "group_page_repeated" and repeated.value.details["pages"] == [1]
    with pytest.raises(InputRejected) as missing:
        stem_groups(["a_p1.jpg", "a_p3.jpg"])
    assert missing.value.code == "group_page_missing" and missing.value.details["missing"] == [2]


def test_folders_of_a_zip_in_natural_order() -> None:
    names = ["top.pdf", "f/p10.jpg", "f/p2.jpg", "g/only.pdf", "f/p1.jpg", "h/x/1.png", "h/x/2.png"]
    assert folder_groups(names) == [("f", [4, 2, 1]), ("h/x", [5, 6])]
    assert natural_key("p2") < natural_key("p10")


def test_named_groups_follow_the_names_order_and_ignore_folders() -> None:
    assert named_groups(["a.png", "dir/b.png", "c.png"], [["c.png", "b.png"]]) == [[2, 1]]
    with pytest.raises(InputRejected) as empty:
        named_groups(["a.png"], [[]])
    assert empty.value.code == "group_empty"
