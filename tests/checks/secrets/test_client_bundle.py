from __future__ import annotations

import json

from aiohttp import web

from checks.model import Status
from checks.secrets.bundle import MAX_REQUESTS
from checks.secrets.client_bundle import CHECK
from tests.checks.secrets.fakes import rand_source
from tests.conftest import make_target, run_one


def site(*, inline_key: str = "", bundle_key: str = "", map_key: str = "", map_served: bool = True) -> web.Application:
    data = {"props": {"pageProps": {}}, "runtimeConfig": {"NEXT_PUBLIC_API_URL": "/api"}}
    if inline_key:
        data["runtimeConfig"]["NEXT_PUBLIC_CHAT_KEY"] = inline_key
    html = f"""<!doctype html><html><head><script>window.ready = true;</script></head><body>
<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>
<script src="/static/app.js"></script>
<script src="https://cdn.thirdparty.test/lib.js"></script>
</body></html>"""
    script = f'(()=>{{const k="{bundle_key}";console.log(k)}})();\n//# sourceMappingURL=app.js.map\n'
    source = f'export const client = new Client({{ apiKey: "{map_key}" }});\n' if map_key else "export const x = 1;\n"
    source_map = json.dumps({"version": 3, "sources": ["src/client.ts"], "sourcesContent": [source], "mappings": "AAAA"})
    app = web.Application()

    async def index(request):
        return web.Response(text=html, content_type="text/html")

    async def app_js(request):
        return web.Response(text=script, content_type="application/javascript")

    async def app_map(request):
        if not map_served:
            raise web.HTTPNotFound()
        return web.Response(text=source_map, content_type="application/json")

    app.router.add_get("/", index)
    app.router.add_get("/static/app.js", app_js)
    app.router.add_get("/static/app.js.map", app_map)
    return app


async def test_pass_on_a_clean_bundle(serve):
    base = await serve(site(map_served=False))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.PASS
    assert result.requests == 3  # page, script, (missing) map
    assert any("Third-party script" in f.message for f in result.findings)


async def test_fail_on_a_key_in_the_source_map(serve):
    rand = rand_source(71)
    key = "sk-" + "ant-" + "api03-" + rand(93) + "AA"
    base = await serve(site(map_key=key))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.resource == f"{base}/static/app.js.map#src/client.ts:1"
    assert finding.evidence["rule"] == "anthropic-api-key"
    assert finding.evidence["source"] == "source-map-source"
    assert any("source map served publicly" in f.message for f in result.findings)
    assert key not in str(result.to_dict())


async def test_fail_on_keys_in_the_script_and_json_blob_each_reported_once(serve):
    rand = rand_source(72)
    key = "sk-" + "proj-" + rand(64)
    base = await serve(site(inline_key=key, bundle_key=key))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.FAIL
    secrets = [f for f in result.findings if "rule" in f.evidence]
    assert len(secrets) == 1 and len(secrets[0].evidence["also_in"]) >= 1


async def test_error_when_the_page_is_unreachable():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary


async def test_error_when_the_page_is_not_2xx(serve):
    app = web.Application()
    base = await serve(app)
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.ERROR
    assert "404" in result.summary


async def test_skipped_without_pages(serve):
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", pages=[]))
    assert result.status is Status.SKIPPED


def test_request_bound_is_documented():
    assert CHECK.max_requests == MAX_REQUESTS
