"""What generated documents are made of: agencies, types, places, people, subjects, recipients.

Every label is written here by hand (the normal capitalisation of an agency beside its printed
upper-case form), never computed by the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENCIES",
    "GIVEN_NAMES",
    "LETTER_SUBJECTS",
    "MIDDLE_NAMES",
    "PLACES",
    "RECIPIENTS",
    "SIGNERS",
    "SUBJECTS",
    "SURNAMES",
    "TITLED_TYPES",
    "Agency",
    "Signer",
]


@dataclass(frozen=True)
class Agency:
    printed: tuple[str, ...]  # upper-case lines as printed (a long name wraps)
    name: str  # normal capitalisation
    abbreviation: str  # in the number symbol
    parent_printed: tuple[str, ...] = ()
    parent: str | None = None
    head: str = "GIÁM ĐỐC"  # who signs for it


AGENCIES: tuple[Agency, ...] = (
    Agency(("SỞ VĂN HÓA, THỂ THAO", "VÀ DU LỊCH"), "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL",
           ("UBND TỈNH ĐỒNG NAI",), "UBND tỉnh Đồng Nai"),
    Agency(("SỞ NÔNG NGHIỆP VÀ MÔI", "TRƯỜNG"), "Sở Nông nghiệp và Môi trường", "SNNMT",
           ("UBND TỈNH LÀO CAI",), "UBND tỉnh Lào Cai"),
    Agency(("SỞ CÔNG THƯƠNG",), "Sở Công Thương", "SCT", ("ỦY BAN NHÂN DÂN", "TỈNH BÌNH ĐỊNH"),
           "Ủy ban nhân dân tỉnh Bình Định"),
    Agency(("SỞ GIÁO DỤC VÀ ĐÀO TẠO",), "Sở Giáo dục và Đào tạo", "SGDĐT", ("UBND TỈNH HÀ GIANG",),
           "UBND tỉnh Hà Giang"),
    Agency(("ỦY BAN NHÂN DÂN", "TỈNH TUYÊN QUANG"), "Ủy ban nhân dân tỉnh Tuyên Quang", "UBND",
           head="CHỦ TỊCH"),
    Agency(("ỦY BAN NHÂN DÂN", "HUYỆN LONG THÀNH"), "Ủy ban nhân dân huyện Long Thành", "UBND",
           head="CHỦ TỊCH"),
    Agency(("BỘ TÀI CHÍNH",), "Bộ Tài chính", "BTC", head="BỘ TRƯỞNG"),
    Agency(("TỔNG CỤC THUẾ",), "Tổng cục Thuế", "TCT", ("BỘ TÀI CHÍNH",), "Bộ Tài chính",
           head="TỔNG CỤC TRƯỞNG"),
    Agency(("BỘ LAO ĐỘNG - THƯƠNG BINH", "VÀ XÃ HỘI"), "Bộ Lao động - Thương binh và Xã hội", "LĐTBXH",
           head="BỘ TRƯỞNG"),
    Agency(("TRUNG TÂM PHỤC VỤ HÀNH", "CHÍNH CÔNG"), "Trung tâm Phục vụ hành chính công", "TTPVHCC",
           ("UBND TỈNH ĐỒNG NAI",), "UBND tỉnh Đồng Nai"),
    Agency(("VĂN PHÒNG CHÍNH PHỦ",), "Văn phòng Chính phủ", "VPCP", head="CHỦ NHIỆM"),
    Agency(("SỞ Y TẾ",), "Sở Y tế", "SYT", ("UBND TỈNH KHÁNH HÒA",), "UBND tỉnh Khánh Hòa"),
    Agency(("SỞ TƯ PHÁP",), "Sở Tư pháp", "STP", ("UBND TỈNH QUẢNG NINH",), "UBND tỉnh Quảng Ninh"),
    Agency(("CÔNG AN TỈNH ĐỒNG NAI",), "Công an tỉnh Đồng Nai", "CAT", head="GIÁM ĐỐC"),
    Agency(("BẢO HIỂM XÃ HỘI", "TỈNH LONG AN"), "Bảo hiểm xã hội tỉnh Long An", "BHXH", head="GIÁM ĐỐC"),
)  # fmt: skip

PLACES: tuple[str, ...] = ("Đồng Nai", "Lào Cai", "Biên Hòa", "Hà Nội", "Quy Nhơn", "Tuyên Quang", "Hà Giang",
                           "Long Thành", "Nha Trang", "Hạ Long", "Tân An")  # fmt: skip

# name in sentence case, upper-case title as printed, has a subject (trích yếu)
TITLED_TYPES: tuple[tuple[str, str, str], ...] = (
    ("Quyết định", "QĐ", "QUYẾT ĐỊNH"),
    ("Kế hoạch", "KH", "KẾ HOẠCH"),
    ("Thông báo", "TB", "THÔNG BÁO"),
    ("Báo cáo", "BC", "BÁO CÁO"),
    ("Tờ trình", "TTr", "TỜ TRÌNH"),
    ("Chỉ thị", "CT", "CHỈ THỊ"),
    ("Hướng dẫn", "HD", "HƯỚNG DẪN"),
    ("Chương trình", "CTr", "CHƯƠNG TRÌNH"),
    ("Quy chế", "QC", "QUY CHẾ"),
    ("Quy định", "QyĐ", "QUY ĐỊNH"),
    ("Phương án", "PA", "PHƯƠNG ÁN"),
    ("Đề án", "ĐA", "ĐỀ ÁN"),
    ("Biên bản", "BB", "BIÊN BẢN"),
    ("Nghị quyết", "NQ", "NGHỊ QUYẾT"),
    ("Giấy mời", "GM", "GIẤY MỜI"),
    ("Công điện", "CĐ", "CÔNG ĐIỆN"),
    ("Hợp đồng", "HĐ", "HỢP ĐỒNG"),
)

SUBJECTS: tuple[str, ...] = (
    "Về việc ban hành Quy chế làm việc của cơ quan năm 2025",
    "Tổ chức các hoạt động chào mừng kỷ niệm 50 năm Ngày giải phóng miền Nam, thống nhất đất nước",
    "Kết quả kiểm tra công tác cải cách hành chính năm 2024",
    "Về việc công bố danh mục thủ tục hành chính được sửa đổi, bổ sung trong lĩnh vực văn hóa",
    "Phê duyệt danh sách cá nhân được khen thưởng trong phong trào thi đua",
    "Triển khai thực hiện chuyển đổi số trong cơ quan nhà nước trên địa bàn tỉnh",
    "Về việc cấp giấy phép tổ chức lễ hội truyền thống",
    "Tăng cường công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
    "Sửa đổi, bổ sung một số điều của Quy định về quản lý hồ sơ điện tử",
)
LETTER_SUBJECTS: tuple[str, ...] = (
    "cung cấp thông tin phục vụ công tác thống kê",
    "hướng dẫn thực hiện chế độ điều dưỡng phục hồi sức khỏe người có công với cách mạng",
    "góp ý dự thảo Quyết định quy định chức năng, nhiệm vụ",
    "đề nghị báo cáo tình hình thực hiện kế hoạch năm 2025",
    "triển khai số hóa kết quả giải quyết thủ tục hành chính",
)

SURNAMES: tuple[str, ...] = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
MIDDLE_NAMES: tuple[str, ...] = ("Văn", "Thị", "Minh", "Hữu", "Quang", "Thanh", "Ngọc", "Đức")
GIVEN_NAMES: tuple[str, ...] = (
    "An", "Bình", "Hòa", "Tuấn", "Hà", "Loan", "Phúc", "Vinh", "Dũng", "Hương", "Khánh", "Thảo",
)  # fmt: skip


@dataclass(frozen=True)
class Signer:
    authority: tuple[str, ...]  # {head} is the agency's head title


SIGNERS: tuple[Signer, ...] = (
    Signer(("{head}",)),
    Signer(("KT. {head}", "PHÓ {head}")),
    Signer(("TL. {head}", "CHÁNH VĂN PHÒNG")),
    Signer(("Q. {head}",)),
)

RECIPIENTS: tuple[str, ...] = (
    "Như trên", "UBND tỉnh (b/c)", "Giám đốc, các Phó Giám đốc", "Các phòng, đơn vị trực thuộc",
    "Cổng thông tin điện tử", "Sở Tài chính", "Văn phòng Chính phủ",
)  # fmt: skip
