"""The VietQR encoder against payloads published by others (with their CRCs), and its CRC against
an independent implementation (binascii.crc_hqx with initial value 0xFFFF is CRC-16/CCITT-FALSE)."""

from __future__ import annotations

import binascii

import pytest

from marketplace.payments import vietqr

# Published payloads: (bank BIN, account, amount, 62.08 text, payload as published).
PUBLISHED = [
    # subiz/vietqr README (Go): 120,000 VND to VietinBank 0011001932418.
    (
        "970415",
        "0011001932418",
        120_000,
        "ung ho lu lut",
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
        "530370454061200005802VN62170813ung ho lu lut6304C15C",
    ),
    # A golden payload of a Vietnamese shop's test suite: Techcombank, an order reference.
    (
        "970422",
        "0338356589",
        550_000,
        "VINREG1A2BKXYZ",
        "00020101021238540010A00000072701240006970422011003383565890208QRIBFTTA"
        "530370454065500005802VN62180814VINREG1A2BKXYZ6304E16E",
    ),
    # Another app's shared fixture (Android and iOS draw the same code): Vietcombank.
    (
        "970436",
        "0071001234567",
        850_000,
        "DH482113",
        "00020101021238570010A00000072701270006970436011300710012345670208QRIBFTTA"
        "530370454068500005802VN62120808DH4821136304E529",
    ),
]


@pytest.mark.parametrize(("bank_bin", "account", "amount", "purpose", "published"), PUBLISHED)
def test_encoder_reproduces_published_payloads_byte_for_byte(
    bank_bin, account, amount, purpose, published
):
    assert vietqr.transfer_payload(bank_bin, account, amount, purpose) == published
    assert vietqr.crc_is_valid(published)


def test_crc_matches_published_checks_and_an_independent_implementation():
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogue's check value
    # NAPAS's own static example (6.1.1, to an account): CRC F4E5.
    static = (
        "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304"
    )
    assert vietqr.with_crc(static[:-4]) == static + "F4E5"
    for text in (b"", b"A", static.encode(), bytes(range(256))):
        assert vietqr.crc16_ccitt_false(text) == binascii.crc_hqx(text, 0xFFFF)


def test_leading_zero_crcs_keep_four_upper_case_digits():
    """About one payload in sixteen has a CRC below 0x1000: it must still be four digits."""
    found = []
    for amount in range(10_000, 200_000, 1_000):
        payload = vietqr.transfer_payload("970436", "1023456789", amount, "NS261207KC2NP5A")
        independent = binascii.crc_hqx(payload[:-4].encode(), 0xFFFF)
        assert payload[-4:] == f"{independent:04X}"
        if independent < 0x1000:
            found.append(payload)
    assert len(found) >= 3
    for payload in found:
        assert payload[-8:-3] == "63040" and len(payload[-4:]) == 4
        assert payload[-4:] == payload[-4:].upper()
        assert vietqr.crc_is_valid(payload)


def test_payload_fields_are_the_napas_dynamic_transfer():
    payload = vietqr.transfer_payload("970436", "1023456789", 135_000, "NS261207KC2NP5A")
    top = vietqr.parse(payload)
    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert (top["00"], top["01"], top["53"], top["54"], top["58"]) == (
        "01",
        "12",
        "704",
        "135000",
        "VN",
    )
    merchant = vietqr.parse(top["38"])
    assert merchant == {"00": "A000000727", "01": "00069704360110" + "1023456789", "02": "QRIBFTTA"}
    assert vietqr.parse(merchant["01"]) == {"00": "970436", "01": "1023456789"}
    assert vietqr.parse(top["62"]) == {"08": "NS261207KC2NP5A"}


def test_a_changed_character_breaks_the_crc():
    payload = vietqr.transfer_payload("970436", "1023456789", 135_000, "NS261207KC2NP5A")
    assert not vietqr.crc_is_valid(payload.replace("135000", "935000"))


@pytest.mark.parametrize(
    ("bank_bin", "account", "amount", "purpose"),
    [
        ("97043", "1023456789", 1000, "X"),  # BIN of 5 digits
        ("970436", "10234567891234567890", 1000, "X"),  # account of 20 characters
        ("970436", "1023456789", 0, "X"),
        ("970436", "1023456789", 10.5, "X"),
        ("970436", "1023456789", True, "X"),
        ("970436", "1023456789", 1000, "Đơn hàng"),  # not what banks carry
        ("970436", "1023456789", 1000, "X" * 26),
    ],
)
def test_encoder_refuses_what_a_bank_would_not_accept(bank_bin, account, amount, purpose):
    with pytest.raises(ValueError):
        vietqr.transfer_payload(bank_bin, account, amount, purpose)


def test_bank_reference_keeps_letters_and_digits_upper_case():
    assert vietqr.bank_reference("NS-261207-KC2NP5A") == "NS261207KC2NP5A"
    assert vietqr.bank_reference("mbvcb.3278907687.ns261207kc2np5a.CT") == (
        "MBVCB3278907687NS261207KC2NP5ACT"
    )
    assert vietqr.bank_reference("Thanh toán đơn") == "THANHTONN"
