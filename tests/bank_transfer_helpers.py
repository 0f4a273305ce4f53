"""Arranging bank-transfer stories: the platform's receiving account, and the bank notifier's
transactions in SePay's shape, posted with its API key."""

from __future__ import annotations

import itertools

BANK_CONFIG = {
    "VIETQR_BANK_BIN": "970436",  # Vietcombank
    "VIETQR_ACCOUNT_NO": "1023456789",
    "VIETQR_ACCOUNT_NAME": "CONG TY NONG SAN VIET",
    "BANK_WEBHOOK_API_KEY": "sepay-3f9c1d7e-webhook-key",
    "BANK_TRANSFER_TTL_MINUTES": 60,
}
WEBHOOK = "/payments/bank-transfer/webhook"
_ids = itertools.count(92_704)


def transaction(content: str, amount, transfer_type: str = "in", tx_id=None, **extra) -> dict:
    """One transaction as SePay posts it (a new id unless ``tx_id`` is given)."""
    return {
        "id": next(_ids) if tx_id is None else tx_id,
        "gateway": "Vietcombank",
        "transactionDate": "2026-12-07 14:02:37",
        "accountNumber": BANK_CONFIG["VIETQR_ACCOUNT_NO"],
        "code": None,
        "content": content,
        "transferType": transfer_type,
        "transferAmount": amount,
        "accumulated": 19_077_000,
        "subAccount": None,
        "referenceCode": "FT26341" + str(next(_ids)),
        "description": f"BankAPINotify {content}",
        **extra,
    }


def notify(client, body, key: str | None = BANK_CONFIG["BANK_WEBHOOK_API_KEY"], **kw):
    """POST the transaction like the notifier (``client`` is the anonymous ApiClient)."""
    headers = {"Authorization": f"Apikey {key}"} if key is not None else {}
    return client.post(WEBHOOK, json=body, headers={**headers, **kw.pop("headers", {})}, **kw)


def audit_is_clean(app) -> bool:
    """`flask audit money` finds nothing (stock, orders, refunds, bank transfers add up)."""
    result = app.test_cli_runner().invoke(args=["audit", "money"])
    assert result.exit_code == 0, result.output
    return True
