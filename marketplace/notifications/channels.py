"""How a notification leaves: e-mail over SMTP, SMS and Zalo ZNS over HTTP gateways."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from .events import zalo_template_id
from .models import Notification

DEFAULT_SENDER = "Nông sản <no-reply@nongsan.vn>"


class SendError(Exception):
    """The channel did not accept the notification (it will be retried)."""


class Channels:
    """Sends notifications with the app's settings; one per worker thread (it keeps an HTTP
    session open to the gateways)."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.timeout = float(config.get("NOTIFICATIONS_SEND_TIMEOUT_SECONDS", 10))
        self.http = requests.Session()

    def send(self, notification: Notification) -> None:
        sender = {"email": self._email, "sms": self._sms, "zalo": self._zalo}.get(
            notification.channel
        )
        if sender is None:
            raise SendError(f"unknown channel {notification.channel!r}")
        if not notification.destination:
            raise SendError("no destination")
        try:
            sender(notification)
        except (OSError, smtplib.SMTPException, requests.RequestException) as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.http.close()

    # ---- e-mail: SMTP_URL = smtp[s]://[user:password@]host[:port][?from=…&starttls=true]

    def _email(self, notification: Notification) -> None:
        url = self.config.get("SMTP_URL")
        if not url:
            raise SendError("SMTP_URL is not set")
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        message = EmailMessage()
        message["From"] = query.get("from", [DEFAULT_SENDER])[0]
        message["To"] = notification.destination
        message["Subject"] = notification.subject
        # The same id on a retry: a mail server that saw it already can tell.
        message["Message-ID"] = make_msgid(f"notification-{notification.id}", "nongsan.vn")
        message.set_content(notification.text)
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        smtp_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
        with smtp_class(parts.hostname or "127.0.0.1", port, timeout=self.timeout) as smtp:
            if query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"):
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)

    # ---- SMS gateway: POST {to: "+84…", text} with Authorization: Bearer SMS_API_KEY

    def _sms(self, notification: Notification) -> None:
        url = self.config.get("SMS_API_URL")
        if not url:
            raise SendError("SMS_API_URL is not set")
        response = self.http.post(
            url,
            json={"to": notification.destination, "text": notification.text},
            headers={"Authorization": f"Bearer {self.config.get('SMS_API_KEY') or ''}"},
            timeout=self.timeout,
        )
        if response.status_code >= 300:
            raise SendError(f"SMS gateway answered {response.status_code}")

    # ---- Zalo ZNS: POST {phone: "84…", template_id, template_data, tracking_id}, header access_token

    def _zalo(self, notification: Notification) -> None:
        url = self.config.get("ZALO_ZNS_URL")
        if not url:
            raise SendError("ZALO_ZNS_URL is not set")
        response = self.http.post(
            url,
            json={
                "phone": notification.destination.lstrip("+"),
                "template_id": zalo_template_id(
                    notification.event, self.config.get("ZALO_TEMPLATE_IDS")
                ),
                "template_data": notification.data,
                # Zalo de-duplicates on it: a retry of a send that did arrive is not sent twice.
                "tracking_id": f"notification-{notification.id}",
            },
            headers={"access_token": self.config.get("ZALO_ACCESS_TOKEN") or ""},
            timeout=self.timeout,
        )
        if response.status_code >= 300:
            raise SendError(f"Zalo answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("error") not in (None, 0):
            raise SendError(f"Zalo error {body.get('error')}: {body.get('message')}")
