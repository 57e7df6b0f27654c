"""stripe-python, unmodified, against `gigcheck stripe`.

Proves that the official client library, with `stripe.api_base` pointed at the emulator, can
create, confirm (success and decline), cancel and refund payment intents, gets the exception
classes Stripe's own answers give it, and that `stripe.Webhook.construct_event` accepts the
emulator's signed deliveries and rejects tampered ones.

Run (from the repository root):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r tests/python/requirements.txt
    cargo build && /tmp/venv/bin/python -m pytest tests/python -q
The binary is `$GIGCHECK_BIN`, by default target/debug/gigcheck.
"""

import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import stripe

REPO = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("GIGCHECK_BIN", str(REPO / "target" / "debug" / "gigcheck"))
SECRET_KEY = "sk_test_stripe_python"
WEBHOOK_SECRET = "whsec_stripe_python_" + uuid.uuid4().hex


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deliveries:
    """What the webhook endpoint received: (headers, raw body bytes), in arrival order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, headers, body):
        with self.lock:
            self.items.append((headers, body))

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for headers, body in self.items:
                    if predicate(json.loads(body)):
                        return headers, body
            time.sleep(0.02)
        raise AssertionError("no matching webhook delivery arrived")


def start_receiver(deliveries):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            deliveries.add(self.headers, self.rfile.read(length))  # case-insensitive
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def emulator():
    deliveries = Deliveries()
    receiver = start_receiver(deliveries)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            BINARY, "stripe", "--port", str(port),
            "--webhook-url", f"http://127.0.0.1:{receiver.server_address[1]}/webhook",
            "--webhook-secret", WEBHOOK_SECRET,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert url in banner, banner
        assert WEBHOOK_SECRET not in banner, "a secret the user gave is never printed"
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"{url}/__emulator/health", timeout=1) as r:
                    assert json.load(r) == {"status": "ok"}
                break
            except OSError:
                assert time.monotonic() < deadline, "the emulator did not come up"
                time.sleep(0.05)
        stripe.api_key = SECRET_KEY
        stripe.api_base = url
        yield {"url": url, "deliveries": deliveries}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()
            receiver.shutdown()


def control(emulator, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        emulator["url"] + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.load(r)


def test_create_retrieve_and_confirm(emulator):
    intent = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        metadata={"order_id": "12"},
        payment_method_types=["card"],
    )
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.id.startswith("pi_")
    assert intent.status == "requires_payment_method"
    assert intent.metadata["order_id"] == "12"
    assert intent.client_secret.startswith(intent.id + "_secret_")

    confirmed = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 2000
    assert confirmed.latest_charge.startswith("ch_")

    again = stripe.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    assert again.status == "succeeded"
    assert again.latest_charge.object == "charge"
    assert again.latest_charge.paid is True

    created_and_confirmed = stripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method="pm_card_mastercard", confirm=True
    )
    assert created_and_confirmed.status == "succeeded"


@pytest.mark.parametrize(
    "payment_method,code,decline_code",
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ],
)
def test_declines_raise_card_error(emulator, payment_method, code, decline_code):
    intent = stripe.PaymentIntent.create(amount=2000, currency="usd")
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.confirm(intent.id, payment_method=payment_method)
    error = raised.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error.decline_code == decline_code
    assert error.error.type == "card_error"
    assert error.error.payment_intent.id == intent.id
    assert error.request_id.startswith("req_")
    after = stripe.PaymentIntent.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == decline_code


def test_three_d_secure_requires_action(emulator):
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_threeDSecure2Required", confirm=True
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"


def test_cancel_and_wrong_state_errors(emulator):
    intent = stripe.PaymentIntent.create(amount=2000, currency="usd")
    canceled = stripe.PaymentIntent.cancel(intent.id, cancellation_reason="requested_by_customer")
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    assert raised.value.http_status == 400
    assert raised.value.code == "payment_intent_unexpected_state"

    paid = stripe.PaymentIntent.create(amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.cancel(paid.id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_invalid_requests_raise_invalid_request_error(emulator):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.retrieve("pi_missing")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert "No such payment_intent: 'pi_missing'" in str(raised.value)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=10, currency="usd")
    assert raised.value.param == "amount"
    assert raised.value.code == "amount_too_small"

    with pytest.raises(stripe.AuthenticationError):
        stripe.PaymentIntent.create(amount=2000, currency="usd", api_key="not_a_key")


def test_refunds_full_partial_and_errors(emulator):
    paid = stripe.PaymentIntent.create(amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True)
    partial = stripe.Refund.create(payment_intent=paid.id, amount=500, reason="requested_by_customer")
    assert isinstance(partial, stripe.Refund)
    assert partial.status == "succeeded"
    assert partial.amount == 500
    assert partial.charge == paid.latest_charge

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.create(payment_intent=paid.id, amount=1600)
    assert raised.value.param == "amount"
    assert "greater than unrefunded amount" in str(raised.value)

    rest = stripe.Refund.create(payment_intent=paid.id)
    assert rest.amount == 1500
    assert stripe.Charge.retrieve(paid.latest_charge).refunded is True

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.create(payment_intent=paid.id)
    assert raised.value.code == "charge_already_refunded"

    assert stripe.Refund.retrieve(partial.id).amount == 500


def test_idempotency_keys(emulator):
    key = "order-" + uuid.uuid4().hex
    first = stripe.PaymentIntent.create(amount=2000, currency="usd", idempotency_key=key)
    second = stripe.PaymentIntent.create(amount=2000, currency="usd", idempotency_key=key)
    assert first.id == second.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        stripe.PaymentIntent.create(amount=3000, currency="usd", idempotency_key=key)


def test_client_retries_through_transient_faults(emulator):
    before = len(stripe.PaymentIntent.list(limit=100).data)
    # A dropped connection and a transient 503: stripe-python retries with the same key and
    # the call is executed once.
    control(emulator, "POST", "/__emulator/faults", {"path": "/v1/payment_intents", "action": "drop"})
    intent = stripe.PaymentIntent.create(amount=2000, currency="usd")
    assert intent.status == "requires_payment_method"
    control(emulator, "POST", "/__emulator/faults", {"path": "/v1/payment_intents", "status": 503, "store": False})
    intent = stripe.PaymentIntent.create(amount=2000, currency="usd")
    assert len(stripe.PaymentIntent.list(limit=100).data) == before + 2

    # A 500 Stripe kept under the key: the retries replay it and the client gives up.
    control(emulator, "POST", "/__emulator/faults", {"path": "/v1/payment_intents", "status": 500})
    with pytest.raises(stripe.APIError) as raised:
        stripe.PaymentIntent.create(amount=2000, currency="usd")
    assert raised.value.http_status == 500
    assert len(stripe.PaymentIntent.list(limit=100).data) == before + 2
    assert control(emulator, "GET", "/__emulator/faults")["data"] == []


def test_events_list(emulator):
    paid = stripe.PaymentIntent.create(amount=4200, currency="usd", payment_method="pm_card_visa", confirm=True)
    events = stripe.Event.list(type="payment_intent.succeeded", limit=1)
    assert events.data[0].type == "payment_intent.succeeded"
    assert events.data[0].data.object.id == paid.id


def test_webhooks_verify_with_construct_event(emulator):
    paid = stripe.PaymentIntent.create(amount=3100, currency="usd", payment_method="pm_card_visa", confirm=True)
    headers, body = emulator["deliveries"].wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == paid.id
    )
    signature = headers["Stripe-Signature"]
    event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == paid.id
    assert event.data.object.amount == 3100

    tampered = body.replace(b"3100", b"1")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, signature, WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_someone_else")
    stale = "t=1000000000," + signature.split(",", 1)[1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, WEBHOOK_SECRET)

    # The decline path is delivered too.
    intent = stripe.PaymentIntent.create(amount=2000, currency="usd")
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_chargeDeclined")
    headers, body = emulator["deliveries"].wait_for(
        lambda e: e["type"] == "payment_intent.payment_failed" and e["data"]["object"]["id"] == intent.id
    )
    failed = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], WEBHOOK_SECRET)
    assert failed.data.object.last_payment_error.decline_code == "generic_decline"
