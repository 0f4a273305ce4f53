"""VietQR (NAPAS 247 over EMVCo QR) payloads: the text a banking app scans to prefill a transfer.

EMVCo data objects are ID (2 digits) + length (2 digits) + value, nested for templates. The last
object, `63`, is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no
final XOR) over everything before it including its own `6304`, as four upper-case hex digits.
One module for every VietQR the platform draws: the buyers' bank-transfer codes and the payouts.
"""

from __future__ import annotations

import re

NAPAS_GUID = "A000000727"  # 38.00: the NAPAS application id
TO_ACCOUNT = "QRIBFTTA"  # 38.02: inter-bank fund transfer 24/7 to an account
CURRENCY_VND = "704"  # ISO 4217
COUNTRY = "VN"
DYNAMIC = "12"  # 01: a code for one payment (with an amount); "11" is a static code

_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_PURPOSE = re.compile(r"^[0-9A-Za-z ]{1,25}$")


def _crc_of_top_byte(top: int) -> int:
    """The CRC register after shifting one byte ``top`` out of the high end, bit by bit."""
    crc = top << 8
    for _ in range(8):
        crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


# One entry per byte: a payout batch draws thousands of codes, and the bit loop per byte of
# each was most of its time (bench/README.md, 2026-12-07).
_CRC_TABLE = tuple(_crc_of_top_byte(top) for top in range(256))


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (check value of b"123456789": 0x29B1), a byte at a time."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def tlv(tag: str, value: str) -> str:
    """One EMVCo data object; values are at most 99 characters."""
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"EMVCo tag must be two digits, got {tag!r}")
    if not 0 < len(value) <= 99:
        raise ValueError(f"EMVCo value of tag {tag} must be 1-99 characters, got {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def with_crc(payload: str) -> str:
    """``payload`` followed by its `63` CRC object."""
    body = payload + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def transfer_payload(bank_bin: str, account_no: str, amount_vnd: int, purpose: str) -> str:
    """The dynamic VietQR of one transfer to ``account_no`` at the bank ``bank_bin`` (NAPAS BIN)
    of ``amount_vnd`` with ``purpose`` in 62.08 (ASCII letters, digits and spaces: what every
    bank passes on in the transfer's text)."""
    if not _BIN.match(bank_bin):
        raise ValueError("bank_bin must be the bank's 6-digit NAPAS BIN")
    if not _ACCOUNT.match(account_no):
        raise ValueError("account_no must be 1-19 letters or digits")
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValueError("amount_vnd must be a positive integer")
    if not _PURPOSE.match(purpose):
        raise ValueError("purpose must be 1-25 ASCII letters, digits or spaces")
    beneficiary = tlv("00", bank_bin) + tlv("01", account_no)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", TO_ACCOUNT)
    return with_crc(
        tlv("00", "01")
        + tlv("01", DYNAMIC)
        + tlv("38", merchant)
        + tlv("53", CURRENCY_VND)
        + tlv("54", str(amount_vnd))
        + tlv("58", COUNTRY)
        + tlv("62", tlv("08", purpose))
    )


def parse(payload: str) -> dict[str, str]:
    """The top-level objects of a payload, {tag: value} (templates left as text; see
    ``parse(value)`` for their objects). Raises ValueError on a truncated or malformed text."""
    objects: dict[str, str] = {}
    index = 0
    while index < len(payload):
        head = payload[index : index + 4]
        if len(head) < 4 or not head.isdigit():
            raise ValueError(f"malformed EMVCo object at {index}")
        length = int(head[2:])
        value = payload[index + 4 : index + 4 + length]
        if len(value) != length:
            raise ValueError(f"truncated EMVCo object {head[:2]}")
        objects[head[:2]] = value
        index += 4 + length
    return objects


def crc_is_valid(payload: str) -> bool:
    """True when the payload ends with `6304` + the CRC of everything before the CRC digits."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        return False
    return f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}" == payload[-4:]


def bank_reference(text: str) -> str:
    """``text`` as banks carry a transfer's purpose: upper case, letters and digits only (banks
    and notifiers drop or change the rest), e.g. `NS-261207-KC2NP5A` → `NS261207KC2NP5A`."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


# NAPAS BINs of the banks most buyers and households use (the name shown next to a code).
BANK_NAMES = {
    "970405": "Agribank",
    "970407": "Techcombank",
    "970415": "VietinBank",
    "970416": "ACB",
    "970418": "BIDV",
    "970422": "MB Bank",
    "970423": "TPBank",
    "970403": "Sacombank",
    "970426": "MSB",
    "970431": "Eximbank",
    "970432": "VPBank",
    "970436": "Vietcombank",
    "970437": "HDBank",
    "970441": "VIB",
    "970443": "SHB",
    "970448": "OCB",
}


def bank_name(bank_bin: str) -> str:
    """The bank's usual name, or `BIN 970999` for one this table does not know."""
    return BANK_NAMES.get(bank_bin, f"BIN {bank_bin}")
