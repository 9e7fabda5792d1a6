"""OpenAIPolicy: any server speaking OpenAI's chat-completions protocol (vLLM, llama.cpp's server, Ollama).

Standard library only (urllib): a request is retried with exponential backoff on connection errors,
timeouts, 429 and 5xx; other HTTP errors fail at once with the server's message. The API key comes from
``LLM4COV_API_KEY`` (or ``OPENAI_API_KEY``), never from the command line, and is never logged.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from typing import Any, ClassVar

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.policy.base import register
from pytest_llm4cov.policy.model import ModelPolicy, Sampling, Usage
from pytest_llm4cov.prompt import Message

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0


def normalize_base_url(url: str) -> str:
    """``http://host:8000/v1`` from that URL with or without a trailing slash or ``/chat/completions``."""
    url = url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


@register("openai")
class OpenAIPolicy(ModelPolicy):
    """Args:
    base_url: the API root, e.g. ``http://127.0.0.1:8000/v1`` (requests go to ``BASE/chat/completions``).
    model: the model name the server expects (default: the first one its ``/models`` lists).
    timeout_s: the limit on one request (a long completion on a slow server takes minutes).
    retries: further tries after a failed request; backoff_s doubles after each.
    """

    name: ClassVar[str] = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 600.0,
        retries: int = 4,
        backoff_s: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.base_url = normalize_base_url(base_url)
        self.model = model
        self._api_key = api_key or os.environ.get("LLM4COV_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.requests = 0  # HTTP requests made, retries included

    def describe(self) -> dict[str, Any]:
        return {"url": self.base_url, "model": self.model, "timeout_s": self.timeout_s, "retries": self.retries}

    # -- HTTP ----------------------------------------------------------------------------------------
    def _request(self, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        last = ""
        for attempt in range(self.retries + 1):
            delay = self.backoff_s * (2**attempt)
            request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                    body = resp.read()
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                last = f"HTTP {exc.code}{': ' + detail if detail else ''}"
                if exc.code not in RETRY_STATUS:
                    raise Llm4covError(f"{url}: {last}") from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                if retry_after and retry_after.strip().isdigit():
                    delay = min(MAX_RETRY_AFTER_S, float(retry_after))
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = "timed out" if isinstance(reason, (socket.timeout, TimeoutError)) else str(reason)
            else:
                try:
                    answer = json.loads(body)
                except (ValueError, UnicodeDecodeError):
                    raise Llm4covError(f"{url}: the server's answer is not JSON: {body[:200]!r}") from None
                if not isinstance(answer, dict):
                    raise Llm4covError(f"{url}: the server's answer is not a JSON object: {body[:200]!r}")
                return answer
            if attempt < self.retries:
                time.sleep(delay)
        raise Llm4covError(f"{url}: no answer after {self.retries + 1} tries (last: {last})")

    def resolve_model(self) -> str:
        """The model name to send: the configured one, else the first the server lists."""
        if self.model:
            return self.model
        try:
            listing = self._request("/models")
            self.model = str(listing["data"][0]["id"])
        except (Llm4covError, KeyError, IndexError, TypeError) as exc:
            raise Llm4covError(
                f"{self.base_url}: no model name given and the server lists none ({exc}): set --llm4cov-model-name"
            ) from None
        return self.model

    def _complete(self, messages: list[Message], sampling: Sampling, prefix: str = "") -> tuple[str, Usage]:
        payload = {
            "model": self.resolve_model(),
            "messages": messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
            "stream": False,
        }
        answer = self._request("/chat/completions", payload)
        try:
            choice = answer["choices"][0]
            text = (choice.get("message") or {}).get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise Llm4covError(
                f"{self.base_url}/chat/completions: not a chat-completions answer: {json.dumps(answer)[:200]}"
            ) from None
        usage = answer.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        return str(text), Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=str(choice.get("finish_reason") or ""),
            cached_tokens=int(cached) if isinstance(cached, int) else None,
        )


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read()[:2000].decode(errors="replace")
    except Exception:  # the body of an error response is best effort
        return ""
    try:
        data = json.loads(raw)
        err = data.get("error", data) if isinstance(data, dict) else data
        msg = err.get("message") if isinstance(err, dict) else err
        return " ".join(str(msg).split())[:300]
    except ValueError:
        return " ".join(raw.split())[:300]
