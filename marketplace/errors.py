"""AppError and its subclasses, and the handlers that turn every error into one JSON shape:

{"error": {"code": "validation_error", "message": "human text", "details": {...} | null}}
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify
from flask_limiter.errors import RateLimitExceeded
from marshmallow import Schema, fields
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger("marketplace.errors")


class AppError(Exception):
    status = 500
    code = "internal_error"
    message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, details: Any = None, *, code: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details
        if code:
            self.code = code


class BadRequest(AppError):
    status, code, message = 400, "bad_request", "The request could not be understood."


class InvalidSignature(AppError):
    status, code, message = 400, "invalid_signature", "The signature is missing or invalid."


class Unauthorized(AppError):
    status, code, message = (
        401,
        "unauthorized",
        "Log in first: send 'Authorization: Bearer <token>'.",
    )


class InvalidCredentials(AppError):
    status, code, message = 401, "invalid_credentials", "The login or password is wrong."


class PaymentDeclined(AppError):
    status, code, message = 402, "payment_declined", "The card was declined."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(AppError):
    status, code, message = 409, "conflict", "This conflicts with the current state."


class InsufficientStock(AppError):
    status, code, message = 409, "insufficient_stock", "Not enough stock."


class InvalidTransition(AppError):
    status, code, message = 409, "invalid_transition", "This status change is not allowed."


class IdempotencyInProgress(AppError):
    status, code = 409, "idempotency_in_progress"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


class UriTooLong(AppError):
    status, code, message = 414, "uri_too_long", "The address is longer than 4 KiB."


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The request body is larger than 1 MiB."


class ValidationError(AppError):
    status, code, message = 422, "validation_error", "Some fields are invalid."


class IdempotencyKeyReused(AppError):
    status, code = 422, "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request body."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests; slow down and retry later."


class PaymentProviderError(AppError):
    status, code, message = 502, "payment_provider_error", "The payment provider did not answer."


class PaymentsUnavailable(AppError):
    status, code, message = 503, "payments_unavailable", "Card payments are not available."


class ServiceUnavailable(AppError):
    status, code, message = 503, "service_unavailable", "A backing service is unavailable."


def field_error(field: str, message: str) -> ValidationError:
    """A 422 about one field, in the same shape marshmallow errors take."""
    return ValidationError(details={field: [message]})


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class ErrorSchema(Schema):
    """The one error shape of the API (documented in the OpenAPI document)."""

    error = fields.Nested(ErrorBodySchema, required=True)


_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Log in first."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    406: ("not_acceptable", "Not acceptable."),
    409: ("conflict", "Conflict."),
    413: ("payload_too_large", "The request body is larger than 1 MiB."),
    414: ("uri_too_long", "The address is longer than 4 KiB."),
    415: ("bad_request", "Send the body as JSON (Content-Type: application/json)."),
    422: ("validation_error", "Some fields are invalid."),
    429: ("rate_limited", "Too many requests; slow down and retry later."),
    503: ("service_unavailable", "A backing service is unavailable."),
}


def error_response(status: int, code: str, message: str, details: Any = None):
    body = {"error": {"code": code, "message": message, "details": details}}
    response = jsonify(body)
    response.status_code = status
    return response


def _flatten_webargs_messages(messages: Any) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); callers want fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    details: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            details.update(errors)
        else:
            details[location] = errors if isinstance(errors, list) else [str(errors)]
    return details


def backing_failure(exc: Exception) -> tuple[int, str, str] | None:
    """(status, code, message) for an exception that is not a bug of ours but a database that
    went away or was busy, or a value or race the database refused; None for anything else.
    The API and the pages answer these alike (503, 422, 409), never 500."""
    request_id = getattr(g, "request_id", None)
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    ):
        log.warning("database connection lost (request %s): %s", request_id, type(exc).__name__)
        return 503, "service_unavailable", "The database is unavailable; retry shortly."
    if isinstance(exc, PoolTimeout):
        # Every pooled connection stayed busy for pool_timeout seconds: overloaded, not broken.
        log.warning("no database connection free (request %s)", request_id)
        return 503, "service_unavailable", "The service is busy; retry shortly."
    if isinstance(exc, DataError):
        # A value the database cannot hold (a number out of range…) slipped past a schema.
        log.warning("database refused a value (request %s): %s", request_id, exc.orig)
        return 422, "validation_error", "A value is out of range."
    if isinstance(exc, IntegrityError):
        # Two requests raced past a uniqueness check; the constraint decided, the loser retries.
        log.warning("constraint refused a write (request %s): %s", request_id, exc.orig)
        return 409, "conflict", "This conflicts with a change made at the same time; retry."
    return None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(exc: RateLimitExceeded):
        response = error_response(
            429, "rate_limited", RateLimited.message, {"limit": str(exc.description)}
        )
        return response

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", exc.name))
        details = None
        data = getattr(exc, "data", None)  # set by webargs / flask-smorest
        if status == 422 and data and "messages" in data:
            details = _flatten_webargs_messages(data["messages"])
        elif status == 400 and data and "messages" in data:
            message = "The request body is not valid JSON."
        response = error_response(status, code, message, details)
        if status == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        request_id = getattr(g, "request_id", None)
        known = backing_failure(exc)
        if known is not None:
            return error_response(*known, None)
        log.exception("unhandled error (request %s)", request_id)
        return error_response(
            500,
            "internal_error",
            f"Something went wrong on our side. Quote request id {request_id} if you report it.",
            {"request_id": request_id},
        )
