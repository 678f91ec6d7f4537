"""An LLM and agent service (seeds 000 and 002): chat completions and agent runs, with gen_ai
spans carrying token usage and model settings, per-tenant tags, auth settings in a context, and
the errors such a service has (token budgets, rate limits, tool timeouts, unknown documents).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from _sentry_helpers import (
    add_breadcrumb,
    capture_exception,
    init_sentry,
    job_scope,
    set_request_context,
    set_user_context,
)
from fastapi import HTTPException, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sentry_sdk.consts import SPANDATA

NAME = "llm-agents"
#: the configurations its clean traffic runs under: send_default_pii off, and on where it has no credentials to send
CLEAN_PII = (False, True)
#: the route whose handler fails on an unknown document: request data planted there is sent
PLANT_ROUTE = "/v1/documents/{}"

MODELS = {"claude-3-5-sonnet-20241022": "anthropic", "gpt-4o-2024-08-06": "openai"}
#: what the service reports about its own auth and token settings: counters, names, durations
SETTINGS: dict[str, Any] = {
    "auth_method": "api_key",
    "api_key_header": "x-api-key",
    "api_key_source": "vault",
    "token_type": "bearer",
    "token_budget": 200_000,
    "token_refresh": "auto",
    "max_tokens": 1024,
    "session_ttl": "PT30M",
    "secret_rotation": "P90D",
    "auth_required": True,
    "password_auth": "disabled",
    "tokenizer": "cl100k_base",
}


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str
    messages: list[Message]
    tenant: str
    max_tokens: int = 1024
    temperature: float = 0.7


class TokenBudgetExceeded(Exception):
    pass


class ToolTimeout(Exception):
    pass


TITLE = "assistant-api"


async def sentry_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The seeds' middleware: request id, user, and a breadcrumb per request."""
    request_id = request.headers.get("x-request-id", "unknown")
    set_request_context(request_id=request_id, endpoint=request.url.path, method=request.method)
    user_id = request.headers.get("x-user-id")
    if user_id:
        set_user_context(user_id=user_id, tenant_id=request.headers.get("x-tenant", "default"))
    add_breadcrumb(f"{request.method} {request.url.path}", category="http")
    return await call_next(request)


def _usage(prompt: str, max_tokens: int) -> dict[str, int]:
    input_tokens = 12 + 3 * len(prompt.split())
    output_tokens = min(max_tokens, 40 + len(prompt) % 300)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total": input_tokens + output_tokens,
    }


def chat(body: ChatRequest) -> dict[str, Any]:
    provider = MODELS.get(body.model, "unknown")
    sentry_sdk.set_tag("model", body.model)
    sentry_sdk.set_tag("model_provider", provider)
    sentry_sdk.set_tag("tenant", body.tenant)
    sentry_sdk.set_context("llm", {**SETTINGS, "model": body.model, "temperature": body.temperature})
    prompt = body.messages[-1].content
    usage = _usage(prompt, body.max_tokens)
    with sentry_sdk.start_span(op="gen_ai.chat", name=f"chat {body.model}") as span:
        span.set_data(SPANDATA.GEN_AI_SYSTEM, provider)
        span.set_data(SPANDATA.GEN_AI_OPERATION_NAME, "chat")
        span.set_data(SPANDATA.GEN_AI_REQUEST_MODEL, body.model)
        span.set_data(SPANDATA.GEN_AI_REQUEST_MAX_TOKENS, body.max_tokens)
        span.set_data(SPANDATA.GEN_AI_REQUEST_TEMPERATURE, body.temperature)
        span.set_data(SPANDATA.GEN_AI_REQUEST_TOP_P, 0.95)
        span.set_data(SPANDATA.GEN_AI_USAGE_INPUT_TOKENS, usage["input_tokens"])
        span.set_data(SPANDATA.GEN_AI_USAGE_OUTPUT_TOKENS, usage["output_tokens"])
        span.set_data(SPANDATA.GEN_AI_USAGE_TOTAL_TOKENS, usage["total"])
        span.set_data(SPANDATA.GEN_AI_USAGE_INPUT_TOKENS_CACHED, usage["input_tokens"] // 4)
        span.set_data(SPANDATA.GEN_AI_RESPONSE_MODEL, body.model)
        span.set_data(SPANDATA.GEN_AI_RESPONSE_FINISH_REASONS, ["stop"])
        # provider response ids: long, mixed-case, random-looking, and harmless
        span.set_data(SPANDATA.GEN_AI_RESPONSE_ID, f"msg_01XFDUDYJgAACzvnptvVoYEL{usage['total'] % 97:02d}")
        span.set_data("gen_ai.request.id", f"chatcmpl-9pXr2a3bC4d5E6f7G8h9I0jK{usage['total'] % 89:02d}")
    add_breadcrumb(
        "completion received",
        category="gen_ai",
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        finish_reason="stop",
        prompt_tokens_cached=usage["input_tokens"] // 4,
    )
    sentry_sdk.logger.info(
        "chat for {tenant} used {total_tokens} tokens of {token_budget}",
        tenant=body.tenant,
        total_tokens=usage["total"],
        token_budget=SETTINGS["token_budget"],
        attributes={"gen_ai.request.model": body.model, "token_type": "bearer", "auth_method": "api_key"},
    )
    if usage["total"] > 450:
        raise TokenBudgetExceeded(
            f"tenant {body.tenant} exceeded max_tokens: {usage['total']} > 450 (input {usage['input_tokens']})"
        )
    if provider == "unknown":
        raise HTTPException(status_code=400, detail=f"unknown model {body.model}")
    return {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "usage": usage}


def run_agent(agent_id: str, body: dict[str, Any]) -> dict[str, Any]:
    sentry_sdk.set_context("agent_execution", {"agent_id": agent_id, "agent_type": "rag", "iterations": 0})
    steps = int(body.get("steps", 2))
    with sentry_sdk.start_span(op="gen_ai.invoke_agent", name=f"invoke_agent {agent_id}") as agent_span:
        agent_span.set_data(SPANDATA.GEN_AI_AGENT_NAME, agent_id)
        agent_span.set_data(SPANDATA.GEN_AI_REQUEST_MODEL, "claude-3-5-sonnet-20241022")
        for step in range(steps):
            with sentry_sdk.start_span(
                op="gen_ai.execute_tool", name="execute_tool search_documents"
            ) as tool:
                tool.set_data(SPANDATA.GEN_AI_TOOL_NAME, "search_documents")
                tool.set_data(SPANDATA.GEN_AI_TOOL_INPUT, '{"query": "refund policy", "top_k": 5}')
                tool.set_data("gen_ai.tool.call.id", f"toolu_01A09q90qw90lq917835lq9{step}")
            with sentry_sdk.start_span(
                op="db.query", name="SELECT chunk FROM embeddings ORDER BY distance LIMIT 5"
            ):
                pass
        agent_span.set_data(SPANDATA.GEN_AI_USAGE_TOTAL_TOKENS, 850 * steps)
    if steps > 4:
        error = ToolTimeout(f"tool search_documents timed out after 30s (step {steps} of max_iterations 4)")
        capture_exception(error, context={"agent_id": agent_id, "steps": steps}, tags={"feature": "agents"})
        raise HTTPException(status_code=504, detail="agent timed out")
    return {"agent_id": agent_id, "steps": steps}


async def embed_document(doc_path: str, request: Request) -> dict[str, Any]:
    raw = await request.body()
    options = await request.json() if raw else {}
    chunk_size = int(options.get("chunk_size", 512))
    raise FileNotFoundError(f"document not indexed ({chunk_size}-token chunks, {len(raw)} bytes of options)")


def health() -> dict[str, str]:
    return {"status": "ok"}


#: (method, path, handler): the app is built from them after ``init()`` (``_corpus._clients``)
ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("POST", "/v1/chat/completions", chat),
    ("POST", "/v1/agents/{agent_id}/runs", run_agent),
    ("POST", "/v1/documents/{doc_path:path}", embed_document),
    ("GET", "/health", health),
]
MIDDLEWARE = (sentry_context,)


def init(*, planted: bool = False, pii: bool = False) -> None:
    init_sentry(NAME, "3.8.1", planted=planted, pii=pii, scrubber="event_scrubber")


def traffic(client: TestClient) -> None:
    """A day of clean requests: chats across models and tenants, agent runs, health checks."""
    for n in range(20):
        model = list(MODELS)[n % 2] if n % 9 else "llama-3-70b"
        headers = {
            "X-Request-ID": str(uuid.UUID(int=n + 1)),
            "X-User-ID": f"usr_{1000 + n}",
            "X-Tenant": "acme",
        }
        prompt = " ".join(["summarise the refund policy"] * (1 + n % 25))
        body = {
            "model": model,
            "tenant": ("acme", "globex", "initech")[n % 3],
            "max_tokens": (256, 1024, 4096)[n % 3],
            "messages": [{"role": "user", "content": prompt}],
        }
        client.post("/v1/chat/completions", json=body, headers=headers)
        client.post(f"/v1/agents/agt_{n % 4}/runs", json={"steps": n % 6}, headers=headers)
        client.get("/health")


@contextmanager
def scene() -> Iterator[None]:
    """An agent run's scope, as the service sets it before any of its own data."""
    with job_scope("agent-run", model="claude-3-5-sonnet-20241022", tenant="acme"):
        set_user_context(user_id="usr_1042", tenant_id="acme")
        sentry_sdk.set_context("llm", SETTINGS)
        add_breadcrumb("agent run started", category="gen_ai", max_tokens=1024, total_tokens=0)
        yield
