"""Write the seed CSVs of this folder (deterministic: the same files every run).

    python seed_data/generate.py

The committed CSVs are the source of truth for `flask seed`; this script is how they were made.
Every province and ward code is checked against `vietnam-provinces` (2025 two-tier divisions) and
every phone number against `phonenumbers` before a file is written.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from marketplace.phones import normalise_phone  # noqa: E402
from marketplace.places import check_place, ward_name  # noqa: E402

CATEGORIES = [
    # The starting tree (migration 0002), then what this seed adds; shelf life and cold shelf
    # life in hours (sources in docs/delivery.md).
    ("trai-cay", "Trái cây", "", 72, 504),
    ("vai-thieu", "Vải thiều", "trai-cay", 72, 504),
    ("nhan", "Nhãn", "trai-cay", 72, 504),
    ("xoai", "Xoài", "trai-cay", 120, 336),
    ("buoi", "Bưởi", "trai-cay", 720, 2160),
    ("cam", "Cam", "trai-cay", 336, 1344),
    ("rau-cu", "Rau củ", "", 48, 168),
    ("gao", "Gạo", "", 8760, 8760),
    ("ca-phe", "Cà phê", "", 4380, 4380),
    ("mat-ong", "Mật ong", "", 17520, 17520),
    ("dac-san-kho", "Đặc sản khô", "", 8760, 8760),
    ("dau-tay", "Dâu tây", "trai-cay", 24, 120),
    ("bo", "Bơ", "trai-cay", 120, 336),
    ("rau-la", "Rau ăn lá", "rau-cu", 24, 168),
    ("cu-qua", "Củ, quả", "rau-cu", 168, 504),
]

# slug, name, province, ward of the office, description, wards of its households, hamlet word
COOPS = [
    (
        "htx-vai-thieu-thanh-ha",
        "Hợp tác xã Vải thiều Thanh Hà",
        31,
        10813,
        "Hợp tác xã trồng vải thiều ở xã Thanh Hà (trước đây thuộc tỉnh Hải Dương).",
        [10813, 10816, 10843, 10846, 10882],
        "Thôn",
    ),
    (
        "htx-vai-thieu-luc-ngan",
        "Hợp tác xã Vải thiều Lục Ngạn",
        24,
        7582,
        "Vải thiều Lục Ngạn chỉ dẫn địa lý, vùng trồng VietGAP và GlobalGAP xuất khẩu "
        "(trước đây thuộc tỉnh Bắc Giang).",
        [7582, 7603, 7534, 7573, 7531],
        "Thôn",
    ),
    (
        "htx-nhan-long-pho-hien",
        "Hợp tác xã Nhãn lồng Phố Hiến",
        33,
        11953,
        "Nhãn lồng Hưng Yên, giống nhãn tiến vua, cùi dày, ngọt sắc.",
        [11953, 11980, 11977, 12205],
        "Thôn",
    ),
    (
        "htx-xoai-cao-lanh",
        "Hợp tác xã Xoài Cao Lãnh",
        82,
        29869,
        "Xoài cát Hòa Lộc và xoài cát Chu vùng Cao Lãnh, Đồng Tháp.",
        [29869, 29888, 30076, 28360],
        "Ấp",
    ),
    (
        "htx-buoi-binh-minh",
        "Hợp tác xã Bưởi Năm Roi Bình Minh",
        86,
        29771,
        "Bưởi Năm Roi Bình Minh và bưởi da xanh Mỏ Cày, tỉnh Vĩnh Long.",
        [29771, 29410, 29821, 29641, 28903],
        "Ấp",
    ),
    (
        "htx-gao-st25-my-xuyen",
        "Hợp tác xã Lúa gạo ST25 Mỹ Xuyên",
        92,
        31684,
        "Gạo ST25 trồng theo mô hình lúa – tôm, vùng Mỹ Xuyên, Trần Đề (trước đây thuộc "
        "tỉnh Sóc Trăng).",
        [31684, 31673, 31687, 31717, 31723],
        "Ấp",
    ),
    (
        "htx-nong-san-lang-biang",
        "Hợp tác xã Nông sản Lang Biang",
        68,
        24846,
        "Rau, dâu tây, bơ và cà phê Arabica vùng cao nguyên Lâm Viên, Lâm Đồng.",
        [24846, 24778, 24848, 24931, 24958, 25000, 24967],
        "Thôn",
    ),
    (
        "htx-mat-ong-u-minh",
        "Hợp tác xã Mật ong rừng U Minh",
        96,
        32047,
        "Mật ong rừng tràm U Minh Hạ và đặc sản khô Cà Mau.",
        [32047, 32044, 32059, 32062, 32110],
        "Ấp",
    ),
]
HOUSEHOLDS_PER_COOP = {
    "htx-vai-thieu-thanh-ha": 13,
    "htx-vai-thieu-luc-ngan": 13,
    "htx-nhan-long-pho-hien": 10,
    "htx-xoai-cao-lanh": 10,
    "htx-buoi-binh-minh": 10,
    "htx-gao-st25-my-xuyen": 10,
    "htx-nong-san-lang-biang": 12,
    "htx-mat-ong-u-minh": 8,
}
CODE_PREFIX = {
    "htx-vai-thieu-thanh-ha": "TH",
    "htx-vai-thieu-luc-ngan": "LN",
    "htx-nhan-long-pho-hien": "HY",
    "htx-xoai-cao-lanh": "CL",
    "htx-buoi-binh-minh": "BM",
    "htx-gao-st25-my-xuyen": "MX",
    "htx-nong-san-lang-biang": "LB",
    "htx-mat-ong-u-minh": "UM",
}
FARM = {
    "htx-vai-thieu-thanh-ha": ("Vườn vải", 3000, 15000),
    "htx-vai-thieu-luc-ngan": ("Vườn vải", 5000, 30000),
    "htx-nhan-long-pho-hien": ("Vườn nhãn", 2000, 10000),
    "htx-xoai-cao-lanh": ("Vườn xoài", 4000, 20000),
    "htx-buoi-binh-minh": ("Vườn bưởi", 3000, 15000),
    "htx-gao-st25-my-xuyen": ("Ruộng lúa", 10000, 60000),
    "htx-nong-san-lang-biang": ("Nông trại", 2000, 12000),
    "htx-mat-ong-u-minh": ("Trại ong", 5000, 40000),
}

# name, description, category, unit, price range (VND), stock range, min order, harvest window
T = tuple
PRODUCTS = {
    "htx-vai-thieu-thanh-ha": [
        T(["Vải thiều Thanh Hà loại 1", "Vải thiều Thanh Hà chín cây", "Vải thiều Thanh Hà"]),
        "Vải thiều Thanh Hà hái sáng, đóng thùng trong ngày; cùi dày, hạt nhỏ, vị ngọt thanh.",
        "vai-thieu",
        "kg",
        (45000, 75000),
        (200, 1500),
        2,
        ("2026-05-28", "2026-07-10"),
    ],
    "htx-vai-thieu-luc-ngan": [
        T(["Vải thiều Lục Ngạn", "Vải thiều Lục Ngạn VietGAP", "Vải thiều Lục Ngạn loại 1"]),
        "Vải thiều Lục Ngạn chỉ dẫn địa lý, quả đều, vỏ đỏ hồng, ngọt đậm.",
        "vai-thieu",
        "kg",
        (35000, 60000),
        (300, 3000),
        2,
        ("2026-06-05", "2026-07-25"),
    ],
    "htx-nhan-long-pho-hien": [
        T(["Nhãn lồng Hưng Yên", "Nhãn lồng Phố Hiến", "Nhãn lồng tiến vua"]),
        "Nhãn lồng Hưng Yên cùi dày, ráo nước, ngọt sắc, thơm mùi nhãn chín cây.",
        "nhan",
        "kg",
        (50000, 90000),
        (150, 1200),
        2,
        ("2026-07-20", "2026-08-31"),
    ],
    "htx-xoai-cao-lanh": [
        T(["Xoài cát Hòa Lộc", "Xoài cát Chu Cao Lãnh", "Xoài cát Hòa Lộc loại 1"]),
        "Xoài cát vùng Cao Lãnh, chín tự nhiên, thịt vàng mịn, không xơ.",
        "xoai",
        "kg",
        (35000, 90000),
        (200, 2000),
        2,
        ("2026-03-15", "2026-06-30"),
    ],
    "htx-buoi-binh-minh": [
        T(["Bưởi Năm Roi Bình Minh", "Bưởi da xanh Mỏ Cày", "Bưởi Năm Roi loại 1"]),
        "Bưởi tép mọng nước, ngọt thanh, vỏ mỏng; giao cả quả, mỗi quả khoảng 1,2–1,6 kg.",
        "buoi",
        "kg",
        (30000, 60000),
        (300, 2500),
        3,
        ("2026-08-01", "2027-01-31"),
    ],
    "htx-gao-st25-my-xuyen": [
        T(["Gạo ST25 Mỹ Xuyên túi 5 kg", "Gạo ST25 lúa tôm túi 5 kg", "Gạo ST25 hữu cơ túi 5 kg"]),
        "Gạo ST25 vụ mới, hạt dài, cơm dẻo thơm mùi lá dứa; trồng luân canh lúa – tôm.",
        "gao",
        "bag",
        (160000, 260000),
        (100, 1500),
        1,
        None,
    ],
    "htx-nong-san-lang-biang": [
        T(["Cà chua Đà Lạt", "Súp lơ xanh Đà Lạt", "Cải thảo Đà Lạt"]),
        "Rau củ trồng nhà màng ở độ cao 1.500 m, thu hoạch buổi sáng, giao trong 48 giờ.",
        "cu-qua",
        "kg",
        (18000, 50000),
        (100, 800),
        1,
        ("2026-10-01", "2027-03-31"),
    ],
    "htx-mat-ong-u-minh": [
        T(["Mật ong rừng U Minh", "Mật ong tràm U Minh Hạ", "Mật ong hoa tràm nguyên chất"]),
        "Mật ong khai thác từ rừng tràm U Minh Hạ, không pha đường, chai thủy tinh 1 lít.",
        "mat-ong",
        "litre",
        (250000, 500000),
        (30, 300),
        1,
        ("2026-03-01", "2026-06-30"),
    ],
}
# Second and third products of a household, per co-op.
EXTRA_PRODUCTS = {
    "htx-vai-thieu-thanh-ha": [
        [
            T(["Vải thiều Thanh Hà hộp quà 5 kg"]),
            "Hộp quà 5 kg vải thiều Thanh Hà chọn quả to, lót lá vải, giữ lạnh khi giao.",
            "vai-thieu",
            "box",
            (350000, 480000),
            (40, 300),
            1,
            ("2026-06-01", "2026-07-05"),
        ],
        [
            T(["Vải thiều sấy khô Thanh Hà"]),
            "Vải thiều sấy bằng lò củi nhãn, túi 1 kg, bảo quản được 12 tháng.",
            "dac-san-kho",
            "bag",
            (160000, 230000),
            (50, 400),
            1,
            None,
        ],
    ],
    "htx-vai-thieu-luc-ngan": [
        [
            T(["Vải sớm Phúc Hòa Lục Ngạn"]),
            "Vải sớm Phúc Hòa chín đầu mùa, vỏ đỏ tươi, vị ngọt dịu hơi chua.",
            "vai-thieu",
            "kg",
            (40000, 65000),
            (100, 800),
            2,
            ("2026-05-20", "2026-06-15"),
        ],
        [
            T(["Cam Lục Ngạn", "Cam sành Lục Ngạn"]),
            "Cam vườn đồi Lục Ngạn, vỏ mỏng, nhiều nước, vị ngọt chua hài hòa.",
            "cam",
            "kg",
            (25000, 45000),
            (200, 1500),
            2,
            ("2026-10-15", "2027-01-31"),
        ],
    ],
    "htx-nhan-long-pho-hien": [
        [
            T(["Long nhãn sấy Hưng Yên"]),
            "Long nhãn bóc cùi sấy khô, túi 500 g, dùng pha trà, nấu chè.",
            "dac-san-kho",
            "bag",
            (180000, 260000),
            (50, 400),
            1,
            None,
        ],
        [
            T(["Nhãn đường phèn Hưng Yên"]),
            "Nhãn đường phèn quả nhỏ, cùi giòn, ngọt lịm như đường phèn.",
            "nhan",
            "kg",
            (40000, 70000),
            (100, 800),
            2,
            ("2026-08-01", "2026-09-10"),
        ],
    ],
    "htx-xoai-cao-lanh": [
        [
            T(["Xoài sấy dẻo Đồng Tháp"]),
            "Xoài cát sấy dẻo không đường, túi 500 g.",
            "dac-san-kho",
            "bag",
            (90000, 140000),
            (50, 500),
            1,
            None,
        ],
        [
            T(["Xoài keo Cao Lãnh", "Xoài Đài Loan Cao Lãnh"]),
            "Xoài giòn ăn xanh hoặc để chín, giá vừa phải, giao theo thùng 10 kg.",
            "xoai",
            "kg",
            (18000, 32000),
            (300, 3000),
            5,
            ("2026-02-01", "2026-07-31"),
        ],
    ],
    "htx-buoi-binh-minh": [
        [
            T(["Cam sành Tam Bình", "Cam sành Vĩnh Long"]),
            "Cam sành vỏ xanh, ruột vàng cam, nhiều nước; vườn ven sông Măng Thít.",
            "cam",
            "kg",
            (20000, 35000),
            (300, 2500),
            3,
            ("2026-09-01", "2027-02-28"),
        ],
        [
            T(["Bưởi da xanh hộp quà 2 quả"]),
            "Hai quả bưởi da xanh chọn lọc trong hộp quà, mỗi quả 1,5–2 kg.",
            "buoi",
            "box",
            (150000, 220000),
            (30, 300),
            1,
            ("2026-08-15", "2027-01-31"),
        ],
    ],
    "htx-gao-st25-my-xuyen": [
        [
            T(["Gạo ST25 Mỹ Xuyên (bán lẻ theo kg)"]),
            "Gạo ST25 đóng gói hút chân không theo kg, xay xát trong tuần.",
            "gao",
            "kg",
            (32000, 42000),
            (500, 5000),
            2,
            None,
        ],
        [
            T(["Gạo lứt ST25"]),
            "Gạo lứt ST25 giữ lớp cám, túi 2 kg, hợp cho người ăn kiêng.",
            "gao",
            "bag",
            (70000, 110000),
            (100, 800),
            1,
            None,
        ],
    ],
    "htx-nong-san-lang-biang": [
        [
            T(["Dâu tây Đà Lạt hộp 500 g"]),
            "Dâu tây giống Nhật trồng giá thể trong nhà kính, hái chín, hộp 500 g.",
            "dau-tay",
            "box",
            (110000, 180000),
            (40, 300),
            1,
            ("2026-11-01", "2027-05-31"),
        ],
        [
            T(["Bơ 034 Lâm Đồng", "Bơ sáp Lâm Đồng"]),
            "Bơ dẻo, béo, hạt nhỏ; giao khi còn cứng, để 2–3 ngày là chín.",
            "bo",
            "kg",
            (40000, 75000),
            (100, 1000),
            2,
            ("2026-06-01", "2026-09-30"),
        ],
        [
            T(["Cà phê Arabica Cầu Đất rang xay 500 g"]),
            "Arabica Cầu Đất chế biến ướt, rang mộc vừa, xay theo yêu cầu.",
            "ca-phe",
            "bag",
            (180000, 280000),
            (40, 300),
            1,
            None,
        ],
        [
            T(["Xà lách thủy canh Đà Lạt", "Cải bó xôi Đà Lạt"]),
            "Rau ăn lá trồng thủy canh trong nhà màng, không thuốc bảo vệ thực vật.",
            "rau-la",
            "kg",
            (45000, 75000),
            (50, 400),
            1,
            None,
        ],
    ],
    "htx-mat-ong-u-minh": [
        [
            T(["Khô cá lóc U Minh"]),
            "Khô cá lóc đồng phơi nắng, ít mặn, túi 500 g.",
            "dac-san-kho",
            "bag",
            (200000, 300000),
            (30, 200),
            1,
            None,
        ],
        [
            T(["Sáp ong và phấn hoa tràm"]),
            "Phấn hoa tràm thu cùng mật, lọ 250 g.",
            "mat-ong",
            "piece",
            (120000, 180000),
            (20, 150),
            1,
            None,
        ],
    ],
}

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim"]
GIVEN_M = ["Tư", "Hùng", "Dũng", "Tâm", "Phúc", "Long", "Sơn", "Thắng", "Bảy", "Tài", "Lộc"]
GIVEN_F = ["Hạnh", "Lan", "Mai", "Hoa", "Hương", "Nga", "Yến", "Thủy", "Hằng", "Loan"]
HAMLETS = ["Thượng", "Hạ", "Đông", "Tây", "Nam", "Bắc", "Trung", "Mới", "Cũ", "An Lạc", "Phú Mỹ"]
PHONE_PREFIXES = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "032",
    "035",
    "039",
]
PHONE_FORMATS = [
    lambda d: f"{d[:4]} {d[4:7]} {d[7:]}",  # 0912 345 678
    lambda d: d,  # 0912345678
    lambda d: f"+84 {d[1:4]} {d[4:7]} {d[7:]}",  # +84 912 345 678
]


def _price(rng: random.Random, low: int, high: int) -> int:
    return round(rng.randint(low, high), -3)


def _certifications(rng: random.Random, prefix: str, province: int, index: int) -> str:
    certs = []
    if rng.random() < 0.4:
        until = f"{rng.choice([2027, 2028])}-{rng.randint(1, 12):02d}-28"
        certs.append(f"vietgap:VG-{province:02d}-{index:04d}:{until}")
    if rng.random() < 0.15:
        certs.append(f"ocop:OCOP-{province:02d}-2025-{index:03d}:2028-06-30")
    if prefix == "LN" and rng.random() < 0.2:
        certs.append(f"globalgap:GGN-40630612{index:05d}:2027-03-31")
    if prefix == "LB" and rng.random() < 0.25:
        certs.append(f"organic:HC-68-{index:04d}:2027-12-31")
    return ";".join(certs)


def build():
    rng = random.Random(2026)
    coops, households, products = [], [], []
    phones: set[str] = set()
    sequence = 0
    for slug, name, province, ward, description, wards, hamlet in COOPS:
        assert not check_place(province, ward), (slug, check_place(province, ward))
        coops.append([slug, name, province, ward, description])
        farm, area_low, area_high = FARM[slug]
        templates = [PRODUCTS[slug], *EXTRA_PRODUCTS[slug]]
        for number in range(1, HOUSEHOLDS_PER_COOP[slug] + 1):
            sequence += 1
            female = rng.random() < 0.45
            surname = rng.choice(SURNAMES)
            given = rng.choice(GIVEN_F if female else GIVEN_M)
            middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
            full_name = f"{surname} {middle} {given}"
            title = rng.choice(["cô", "chị", "bà"] if female else ["chú", "anh", "ông"])
            display_name = f"{farm} {title} {given}"
            household_ward = rng.choice(wards)
            assert not check_place(province, household_ward), (slug, household_ward)
            while True:
                digits = rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
                e164 = normalise_phone(digits)
                if e164 not in phones:
                    phones.add(e164)
                    break
            phone = PHONE_FORMATS[sequence % len(PHONE_FORMATS)](digits)
            prefix = CODE_PREFIX[slug]
            code = f"{prefix}-{number:03d}"
            ward_label = ward_name(household_ward)
            address = f"{hamlet} {rng.choice(HAMLETS)}, {ward_label}"
            households.append(
                [
                    code,
                    full_name,
                    display_name,
                    slug,
                    phone,
                    province,
                    household_ward,
                    address,
                    round(rng.randint(area_low, area_high), -2),
                    _certifications(rng, prefix, province, sequence),
                ]
            )
            # The main product, then one to three others of the co-op's kinds.
            chosen = [templates[0], *rng.sample(templates[1:], k=min(len(templates) - 1, 2))]
            if rng.random() < 0.25:
                chosen = chosen[:1] + chosen[2:]
            for k, template in enumerate(chosen, start=1):
                names, text, category, unit, prices, stock, minimum, window = template
                harvest_start, harvest_end = window or ("", "")
                product_name = rng.choice(names)
                products.append(
                    [
                        f"{code}-{k:02d}",
                        code,
                        product_name,
                        f"{text} Sản phẩm của {display_name}, {ward_label}.",
                        category,
                        unit,
                        _price(rng, *prices),
                        rng.randint(*stock) // 10 * 10,
                        minimum if minimum > 1 else "",
                        harvest_start,
                        harvest_end,
                        "",
                        ward_label,
                        _unit_weight_g(unit, f"{product_name} {text}"),
                    ]
                )
    return coops, households, products


_PACK = re.compile(r"(\d+(?:,\d+)?)\s*(kg|g)\b")


def _unit_weight_g(unit: str, text: str) -> int | str:
    """A box, bag or piece weighs what its name or description says (`túi 5 kg`, `lọ 250 g`),
    packaging left out; kg, g and litre leave the cell empty (the default by unit)."""
    if unit in ("kg", "g", "litre"):
        return ""
    match = _PACK.search(text)
    if match is None:
        return 1000
    amount = float(match.group(1).replace(",", "."))
    return round(amount * (1000 if match.group(2) == "kg" else 1))


def write(name: str, header: list[str], rows: list[list]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    coops, households, products = build()
    write(
        "categories.csv",
        ["slug", "name", "parent_slug", "shelf_life_hours", "cold_shelf_life_hours"],
        [list(c) for c in CATEGORIES],
    )
    write("coops.csv", ["slug", "name", "province_code", "ward_code", "description"], coops)
    write(
        "households.csv",
        [
            "code",
            "full_name",
            "display_name",
            "coop_slug",
            "phone",
            "province_code",
            "ward_code",
            "address_line",
            "farm_area_m2",
            "certifications",
        ],
        households,
    )
    write(
        "products.csv",
        [
            "sku",
            "household_code",
            "name",
            "description",
            "category_slug",
            "unit",
            "unit_price_vnd",
            "stock_quantity",
            "min_order_quantity",
            "harvest_start",
            "harvest_end",
            "origin_province_code",
            "origin_area",
            "unit_weight_g",
        ],
        products,
    )
    print(f"{len(coops)} co-ops, {len(households)} households, {len(products)} products")


if __name__ == "__main__":
    main()
