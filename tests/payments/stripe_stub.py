"""A tiny local stand-in for the few Stripe API endpoints the payments code calls, plus a
hosted-checkout page, served over plain http on 127.0.0.1 by a threaded `http.server`.

The app reaches it through the stripe library's own `base_addresses={"api": ...}` (config
`STRIPE_API_BASE`); nothing in the app is patched. Tests drive what Stripe would do on its side
(`complete`, `fail`, `expire`) and build webhook events signed with Stripe's documented scheme
(`Stripe-Signature: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")`).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_stub_key"
WEBHOOK_SECRET = "whsec_test_stub_secret"


def unflatten(pairs) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class StripeStub:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> StripeStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def reset(self) -> None:
        self.ids = itertools.count(1)
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.calls: list[dict] = []
        self.fail_next: int | None = None

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self.ids):04d}"

    # ---- what Stripe does on its side -----------------------------------------------------

    def complete(self, session_id: str) -> dict:
        """The payer paid on the hosted page: the session is complete, with a charge."""
        with self.lock:
            session = self.sessions[session_id]
            intent_id, charge_id = self._id("pi"), self._id("ch")
            self.intents[intent_id] = {
                "id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                "currency": session["currency"], "status": "succeeded",
                "metadata": dict(session["payment_intent_metadata"]),
                "latest_charge": charge_id}
            self.charges[charge_id] = {
                "id": charge_id, "object": "charge", "amount": session["amount_total"],
                "amount_refunded": 0, "currency": session["currency"], "refunded": False,
                "payment_intent": intent_id, "metadata": {}, "paid": True}
            session.update(status="complete", payment_status="paid", payment_intent=intent_id)
            return dict(session)

    def failed_intent(self, session_id: str, message="Your card was declined.") -> dict:
        session = self.sessions[session_id]
        return {"id": self._id("pi"), "object": "payment_intent",
                "amount": session["amount_total"], "currency": session["currency"],
                "status": "requires_payment_method",
                "metadata": dict(session["payment_intent_metadata"]),
                "last_payment_error": {"code": "card_declined", "message": message}}

    def expire(self, session_id: str) -> dict:
        with self.lock:
            self.sessions[session_id].update(status="expired")
            return dict(self.sessions[session_id])

    def refund_outside(self, charge_id: str, amount: int) -> dict:
        """A refund made in Stripe's dashboard (not through the app)."""
        with self.lock:
            return self._refund(self.charges[charge_id]["payment_intent"], amount, {})

    def charge_of(self, session_id: str) -> dict:
        intent = self.intents[self.sessions[session_id]["payment_intent"]]
        return dict(self.charges[intent["latest_charge"]])

    def event(self, type_: str, obj: dict, event_id: str | None = None) -> str:
        return json.dumps({
            "id": event_id or self._id("evt"), "object": "event", "type": type_,
            "api_version": "2026-10-28.endive", "created": int(time.time()),
            "livemode": False, "pending_webhooks": 1, "data": {"object": obj}})

    # ---- the API ----------------------------------------------------------------------------

    def _refund(self, intent_id: str, amount: int, metadata: dict) -> dict:
        intent = self.intents[intent_id]
        charge = self.charges[intent["latest_charge"]]
        refund = {"id": self._id("re"), "object": "refund", "amount": amount,
                  "currency": charge["currency"], "status": "succeeded",
                  "charge": charge["id"], "payment_intent": intent_id, "metadata": metadata,
                  "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return refund

    def handle(self, method: str, path: str, query: dict, body: dict, headers) -> tuple[int, dict]:
        if self.fail_next:
            status, self.fail_next = self.fail_next, None
            return status, {"error": {"type": "api_error", "message": "stub failure"}}
        key = headers.get("Idempotency-Key")
        if method == "POST" and key and key in self.idempotent:
            return self.idempotent[key]
        result = self._route(method, path, query, body)
        if method == "POST" and key:
            self.idempotent[key] = result
        return result

    def _route(self, method, path, query, body) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            item = body["line_items"][0]
            amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
            session_id = self._id("cs")
            session = {
                "id": session_id, "object": "checkout.session",
                "url": f"{self.url}/checkout/pay/{session_id}", "status": "open",
                "payment_status": "unpaid", "amount_total": amount,
                "currency": item["price_data"]["currency"], "mode": body.get("mode"),
                "metadata": body.get("metadata", {}),
                "client_reference_id": body.get("client_reference_id"),
                "payment_intent": None, "success_url": body["success_url"],
                "cancel_url": body["cancel_url"], "locale": body.get("locale"),
                "expires_at": int(body.get("expires_at") or time.time() + 86400),
                "payment_intent_metadata": (body.get("payment_intent_data") or {})
                .get("metadata", {}),
                "product_name": item["price_data"]["product_data"]["name"]}
            self.sessions[session_id] = session
            return 200, session
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match[1])
            return (200, session) if session else _missing(match[1])
        match = re.fullmatch(r"/v1/payment_intents/([\w]+)", path)
        if method == "GET" and match:
            intent = self.intents.get(match[1])
            return (200, intent) if intent else _missing(match[1])
        if method == "POST" and path == "/v1/refunds":
            intent_id = body["payment_intent"]
            if intent_id not in self.intents:
                return _missing(intent_id)
            charge = self.charges[self.intents[intent_id]["latest_charge"]]
            amount = int(body.get("amount") or charge["amount"] - charge["amount_refunded"])
            if amount > charge["amount"] - charge["amount_refunded"]:
                return 400, {"error": {"type": "invalid_request_error",
                                       "message": "Refund amount is greater than unrefunded"}}
            return 200, self._refund(intent_id, amount, body.get("metadata", {}))
        if method == "GET" and path == "/v1/refunds":
            data = [r for r in self.refunds.values() if r["charge"] == query.get("charge")]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        return 404, {"error": {"type": "invalid_request_error", "message": f"no route {path}"}}

    def checkout_page(self, session_id: str) -> str:
        session = self.sessions.get(session_id)
        if session is None:
            return "<h1>Unknown session</h1>"
        return (f"<!doctype html><html><head><title>Stripe Checkout (stub)</title></head><body>"
                f"<h1 id='stub-checkout'>Stripe Checkout (stub)</h1>"
                f"<p id='product'>{html.escape(session['product_name'])}</p>"
                f"<p id='amount' data-amount='{session['amount_total']}'>"
                f"{session['amount_total']} {session['currency'].upper()}</p>"
                f"<p id='locale'>{session['locale']}</p></body></html>")

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_stub")
                self.end_headers()
                self.wfile.write(body)

            def _api(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                body = unflatten(parse_qsl(raw, keep_blank_values=True))
                query = dict(parse_qsl(parts.query))
                with stub.lock:
                    stub.calls.append({"method": method, "path": parts.path, "body": body,
                                       "query": query, "headers": dict(self.headers)})
                    if parts.path.startswith("/checkout/pay/"):
                        page = stub.checkout_page(parts.path.rsplit("/", 1)[1])
                        return self._send(200, page.encode(), "text/html; charset=utf-8")
                    if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                        status, data = 401, {"error": {"type": "invalid_request_error",
                                                       "message": "bad key"}}
                    else:
                        status, data = stub.handle(method, parts.path, query, body,
                                                   self.headers)
                self._send(status, json.dumps(data).encode(), "application/json")

            def do_GET(self):
                self._api("GET")

            def do_POST(self):
                self._api("POST")

        return Handler


def _missing(object_id: str) -> tuple[int, dict]:
    return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                           "message": f"No such object: {object_id}"}}
