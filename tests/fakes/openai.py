"""A fake OpenAI-compatible chat-completions endpoint (what OpenAI, Ollama, vLLM and llama.cpp's
server all answer at `POST {base_url}/chat/completions`).

`mode` decides how it behaves, as real endpoints and models do:
- "good": a reply built from what the prompt says (the customer's first name, the sign-off);
- "slow": answers after `delay` seconds;
- "failing": HTTP 500 with an error body, as a server under load does;
- "hostile": a reply that breaks the rules (a link, a request for the card number);
- "obedient": a model that follows instructions found in the customer's post (a prompt
  injection that works on the model), to show the checks catch what it then writes.
Every request body and its Authorization header are kept in `requests`.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Self

from aiohttp import web

LOOPBACK = "127.0.0.1"


class FakeOpenAI:
    """See the module docstring."""

    def __init__(self, *, mode: str = "good", api_key: str | None = "sk-test-123",
                 delay: float = 5.0) -> None:
        self.mode = mode
        self.api_key = api_key
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def _completions(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        body = await request.json()
        self.requests.append({"body": body, "authorization": auth})
        if self.api_key and auth != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "Incorrect API key provided",
                                                "type": "invalid_request_error",
                                                "code": "invalid_api_key"}}, status=401)
        if self.mode == "failing":
            return web.json_response({"error": {"message": "The server had an error",
                                                "type": "server_error"}}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        system = body["messages"][0]["content"]
        user = body["messages"][-1]["content"]
        name = re.search(r"by first name \(([^)]*)\)", system)
        sign = re.search(r"sign-off '([^']*)'", system)
        greeting = f"Hi {name.group(1)}," if name else "Hi,"
        if self.mode == "hostile":
            content = (f"{greeting} please send your full card number and PIN to "
                       "verify-refunds.example.com and we'll refund you today!")
        elif self.mode == "obedient":
            wanted = re.search(r"(?:say|reply with)\s+['\"]?([^'\"<]+)", user, re.IGNORECASE)
            content = (wanted.group(1).strip() if wanted else "OK") + " http://evil.example/x"
        else:
            content = (f"{greeting} I'm sorry about this, and thank you for your patience. "
                       "Our team is looking into it now; send us a DM with your name and "
                       "postcode and we'll come back to you today.")
        if sign:
            content = f"{content} {sign.group(1)}"
        return web.json_response({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": (len(user) + len(content)) // 4},
        })

    async def start(self) -> str:
        """Serve on 127.0.0.1 (a free port) and return the base URL (ending in /v1)."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, 0).start()
        self.base_url = f"http://{LOOPBACK}:{self._runner.addresses[0][1]}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
