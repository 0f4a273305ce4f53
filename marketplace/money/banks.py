"""The banks of the NAPAS 247 network that a household can be paid into, by their 6-digit BIN.

Source: the NAPAS member list as published with the VietQR standard (the bank list of
api.vietqr.io/v2/banks, `bin` and `shortName`), checked on 2026-12-07. Update it when a bank
joins, merges or changes its name; a BIN that is not here is refused (422).
"""

from __future__ import annotations

from ..search.text import fold

NAPAS_BANKS: dict[str, str] = {
    "970400": "Saigonbank",
    "970403": "Sacombank",
    "970405": "Agribank",
    "970406": "DongA Bank",
    "970407": "Techcombank",
    "970408": "GPBank",
    "970409": "BacABank",
    "970410": "Standard Chartered",
    "970412": "PVcomBank",
    "970414": "OceanBank",
    "970415": "VietinBank",
    "970416": "ACB",
    "970418": "BIDV",
    "970419": "NCB",
    "970421": "VRB",
    "970422": "MBBank",
    "970423": "TPBank",
    "970424": "ShinhanBank",
    "970425": "ABBANK",
    "970426": "MSB",
    "970427": "VietABank",
    "970428": "Nam A Bank",
    "970429": "SCB",
    "970430": "PGBank",
    "970431": "Eximbank",
    "970432": "VPBank",
    "970433": "VietBank",
    "970434": "Indovina Bank",
    "970436": "Vietcombank",
    "970437": "HDBank",
    "970438": "BaoViet Bank",
    "970439": "Public Bank",
    "970440": "SeABank",
    "970441": "VIB",
    "970442": "Hong Leong",
    "970443": "SHB",
    "970444": "CBBank",
    "970446": "Co-opBank",
    "970448": "OCB",
    "970449": "LPBank",
    "970452": "KienlongBank",
    "970454": "BVBank",
    "970455": "IBK Hà Nội",
    "970456": "IBK Hồ Chí Minh",
    "970457": "Woori",
    "970458": "UOB",
    "970462": "KookminHN",
    "970463": "KookminHCM",
}


def bank_name(bin_: str) -> str | None:
    return NAPAS_BANKS.get(bin_)


def bank_account_name(name: str) -> str:
    """How banks print an account holder: upper-case ASCII letters, digits and single spaces
    (`Nguyễn Văn Tư` → `NGUYEN VAN TU`)."""
    ascii_ = fold(name).upper()
    return " ".join("".join(c if c.isascii() and c.isalnum() else " " for c in ascii_).split())
