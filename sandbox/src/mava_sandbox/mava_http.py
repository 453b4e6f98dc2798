"""The Mava sandbox's HTTP layer: /api routes with auth, rate limit, faults and
latency, and the unauthenticated /_sandbox/ admin routes tests use from another process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from mava_sandbox.mava_model import MavaSandbox
from mava_sandbox.mava_records import DEFAULT_FAULT_ERRORS, Fault, RequestRecord
from mava_sandbox.mava_rules import (
    HANG_SECONDS,
    MALFORMED_BODY,
    ApiError,
    Handler,
    bad_request,
    log,
)
from mava_sandbox.mava_search import parse_ticket_query

# --- HTTP layer ------------------------------------------------------------------------

SANDBOX_KEY: Final = web.AppKey("mava_sandbox", MavaSandbox)


def _error(status: int, error: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": error}, status=status, headers=headers)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise bad_request("Invalid request body") from exc


async def _recorded_body(request: web.Request) -> Any:
    raw = await request.text() if request.body_exists else ""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _fault_response(fault: Fault) -> web.Response:
    status = fault.status or 500
    headers = dict(fault.headers)
    if status == 429:
        headers.setdefault("Retry-After", "1")
    if isinstance(fault.body, str):
        return web.Response(status=status, text=fault.body, headers=headers)
    body = fault.body
    if body is None:
        body = {"error": DEFAULT_FAULT_ERRORS.get(status, "Error")}
    return web.json_response(body, status=status, headers=headers)


async def _answer(
    request: web.Request, handler: Handler, sandbox: MavaSandbox, fault: Fault | None
) -> web.StreamResponse:
    """The response before transport-level faults: fault, auth, rate limit, handler."""
    if fault is not None and fault.kind == "status":
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return _fault_response(fault)
    if fault is not None and fault.kind == "malformed":
        text = fault.body if isinstance(fault.body, str) else MALFORMED_BODY
        return web.Response(status=200, text=text, content_type="application/json")
    key = request.headers.get("x-auth-token")
    if key != sandbox.api_key:
        return _error(401, "Unauthorized")
    retry_after = sandbox.check_rate(key)
    if retry_after is not None:
        return _error(429, "Too many requests", {"Retry-After": str(retry_after)})
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.error)
    except web.HTTPException as exc:  # unknown route or method under /api
        return _error(exc.status, exc.reason)
    except Exception:
        log.exception("sandbox: unexpected error in %s %s", request.method, request.path)
        return _error(500, "Internal server error")


@web.middleware
async def _api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    sandbox = request.app[SANDBOX_KEY]
    arrived = time.time()
    body = await _recorded_body(request)

    def record(status: int, fault: Fault | None) -> None:
        query = list(request.query.items())
        kind = fault.kind if fault else None
        sandbox.record(
            RequestRecord(request.method, request.path, query, status, arrived, body, kind)
        )

    fault: Fault | None = None
    try:
        if sandbox.latency > 0:
            await asyncio.sleep(sandbox.latency)
        fault = sandbox.take_fault(request.method, request.path)
        if fault is not None and fault.kind == "disconnect":
            record(0, fault)
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never written: the connection is gone
        response = await _answer(request, handler, sandbox, fault)
    except asyncio.CancelledError:  # the client gave up while we were slow
        record(0, fault)
        raise
    record(response.status, fault)
    if fault is not None and fault.kind == "timeout":
        await asyncio.sleep(fault.delay if fault.delay is not None else HANG_SECONDS)
    return response


@web.middleware
async def _admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/_sandbox/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.error)
    except KeyError as exc:
        return _error(404, f"Not found: {exc}")
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))


# --- /api handlers ---


async def _identify(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].identify(await _json_body(request)))


async def _categories(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].categories_json())


async def _agents(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].agents_json())


async def _update_ticket(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].update_ticket(await _json_body(request)))


async def _create_ticket(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].create_ticket(await _json_body(request)))


async def _message(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].post_message(await _json_body(request)))


async def _tickets(request: web.Request) -> web.Response:
    query = parse_ticket_query(request.query.items())
    return web.json_response(request.app[SANDBOX_KEY].list_tickets(query))


# --- /_sandbox admin handlers ---


async def _admin_object(request: web.Request) -> dict[str, Any]:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise bad_request("Expected a JSON object")
    return body


async def _admin_state(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].summary())


async def _admin_get_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    ticket = sandbox.get(request.match_info["ticket_id"])
    if ticket is None:
        raise KeyError(request.match_info["ticket_id"])
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_add_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    ticket = sandbox.add_ticket(**await _admin_object(request))
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_update_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    ticket = sandbox.update(request.match_info["ticket_id"], **fields)
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_add_message(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    allowed = {
        "content": "content",
        "senderType": "sender_type",
        "senderName": "sender_name",
        "messageType": "message_type",
        "attachments": "attachments",
        "createdAt": "created_at",
    }
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"unknown message fields {sorted(unknown)}")
    kwargs = {allowed[k]: v for k, v in fields.items() if k != "content"}
    message = sandbox.add_message(
        request.match_info["ticket_id"], str(fields.get("content", "")), **kwargs
    )
    return web.json_response({"message": sandbox.message_json(message)})


async def _admin_add_fault(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    kind = fields.pop("kind", None)
    sandbox.inject(kind, **fields)
    return web.json_response({"faults": len(sandbox.faults)})


async def _admin_clear_faults(request: web.Request) -> web.Response:
    return web.json_response({"cleared": request.app[SANDBOX_KEY].clear_faults()})


async def _admin_requests(request: web.Request) -> web.Response:
    records = request.app[SANDBOX_KEY].requests
    return web.json_response({"requests": [r.to_json() for r in records]})


async def _admin_reset_requests(request: web.Request) -> web.Response:
    request.app[SANDBOX_KEY].reset_requests()
    return web.json_response({"requests": []})


async def _admin_latency(request: web.Request) -> web.Response:
    seconds = (await _admin_object(request)).get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError("seconds must be a number >= 0")
    request.app[SANDBOX_KEY].latency = float(seconds)
    return web.json_response({"latency": float(seconds)})


_SWITCHES: Final[dict[str, Callable[[Any], bool]]] = {
    "null_priorities": lambda v: v in ("first", "last"),
    "string_priorities": lambda v: isinstance(v, bool),
    "strings_sort": lambda v: v in ("first", "last"),
    "random_ties": lambda v: isinstance(v, bool),
    "churn": lambda v: type(v) is int and v >= 0,
    "odd_shapes": lambda v: isinstance(v, bool),  # from then on: new tickets only
    "customer_on_resolved": lambda v: v in ("reopen", "append", "new_ticket"),
    "create_answer": lambda v: v in ("ticket", "flat", "id", "none"),
}


async def _admin_switches(request: web.Request) -> web.Response:
    """POST {"null_priorities": "first", "churn": 2, ...}: set the order/churn switches."""
    sandbox = request.app[SANDBOX_KEY]
    body = await _admin_object(request)
    for name, value in body.items():
        if name not in _SWITCHES or not _SWITCHES[name](value):
            raise ValueError(f"bad switch {name}={value!r}")
    for name, value in body.items():
        setattr(sandbox, name, value)
    return web.json_response({name: getattr(sandbox, name) for name in _SWITCHES})


async def _admin_odd_shape(request: web.Request) -> web.Response:
    """Body {"ticketId": ..., "shape": one of ODD_SHAPES or null}."""
    fields = await _admin_object(request)
    sandbox = request.app[SANDBOX_KEY]
    ticket_id = fields.get("ticketId")
    if not isinstance(ticket_id, str) or sandbox.get(ticket_id) is None:
        raise KeyError(ticket_id)
    sandbox.serve_odd(ticket_id, fields.get("shape"))
    return web.json_response({"ticketId": ticket_id, "shape": fields.get("shape")})


def create_mava_app(sandbox: MavaSandbox) -> web.Application:
    """The aiohttp app serving `sandbox`: the Mava API under /api, controls under /_sandbox."""
    app = web.Application(middlewares=[_api_middleware, _admin_middleware])
    app[SANDBOX_KEY] = sandbox
    app.router.add_post("/api/identify", _identify)
    app.router.add_get("/api/categories", _categories)
    app.router.add_get("/api/agents", _agents)
    app.router.add_put("/api/ticket", _update_ticket)
    app.router.add_post("/api/ticket", _create_ticket)
    app.router.add_put("/api/message", _message)
    app.router.add_post("/api/message", _message)  # one doc example uses POST
    app.router.add_get("/api/tickets", _tickets)

    app.router.add_get("/_sandbox/state", _admin_state)
    app.router.add_post("/_sandbox/tickets", _admin_add_ticket)
    app.router.add_get("/_sandbox/tickets/{ticket_id}", _admin_get_ticket)
    app.router.add_patch("/_sandbox/tickets/{ticket_id}", _admin_update_ticket)
    app.router.add_post("/_sandbox/tickets/{ticket_id}/messages", _admin_add_message)
    app.router.add_post("/_sandbox/faults", _admin_add_fault)
    app.router.add_delete("/_sandbox/faults", _admin_clear_faults)
    app.router.add_get("/_sandbox/requests", _admin_requests)
    app.router.add_delete("/_sandbox/requests", _admin_reset_requests)
    app.router.add_post("/_sandbox/latency", _admin_latency)
    app.router.add_post("/_sandbox/odd_shapes", _admin_odd_shape)
    app.router.add_post("/_sandbox/switches", _admin_switches)
    return app
