"""The web app over HTTP: the queue page escapes post text; /healthz reports sources."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from monitor.poller import SourceHealth, SourceState
from monitor.settings import Settings
from monitor.store import AsyncStore, Store
from responders.web.app import make_app
from tests.factories import T0, analysed, mention, simple_planner

SETTINGS = Settings.model_validate({"brand": {"name": "Brightwave", "keywords": ["brightwave"]}})
PAYLOADS = ["<script>alert('xss')</script>", '<img src=x onerror="alert(1)">']


async def test_queue_page_renders_hostile_posts_as_text(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    store = Store(db)
    posts = [analysed(mention(str(i), f"brightwave {p}", author=f"a{i}"))
             for i, p in enumerate(PAYLOADS)]
    store.ingest("s", None, posts, simple_planner, now=T0)
    store.close()
    astore = await AsyncStore(db).open()
    health = {"demo": SourceHealth(state=SourceState.RATE_LIMITED)}
    async with TestClient(TestServer(make_app(SETTINGS, astore, health))) as client:
        page = await client.get("/")
        html = await page.text()
        assert page.status == 200
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        for payload in PAYLOADS:
            assert payload not in html
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
        assert "2 pending" in html

        health_response = await client.get("/healthz")
        body = await health_response.json()
        assert body["queue_depth"] == 2
        assert body["sources"]["demo"]["state"] == "rate_limited"
    await astore.close()
