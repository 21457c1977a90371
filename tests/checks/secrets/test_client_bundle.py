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


# -- issue 13, class 20: the whole bundle, lazily loaded chunks and build manifests ----------


def spa(files: dict[str, str], html: str) -> web.Application:
    """Serves ``html`` at / and each of ``files`` (path -> JavaScript or JSON); others 404."""
    app = web.Application()

    async def index(request):
        return web.Response(text=html, content_type="text/html")

    async def asset(request):
        text = files.get(request.path)
        if text is None:
            raise web.HTTPNotFound()
        kind = "application/json" if request.path.endswith(".json") else "application/javascript"
        return web.Response(text=text, content_type=kind)

    app.router.add_get("/", index)
    app.router.add_get("/{tail:.+}", asset)
    return app


def key_line(seed: int, name: str = "openai-api-key") -> str:
    from tests.checks.secrets.fakes import CASES

    return CASES[name](rand_source(seed)) + ";\n"


async def test_vite_chunks_loaded_lazily_and_listed_in_the_manifest_are_read(serve):
    files = {
        "/assets/index-a1.js": 'const Chat=()=>import("./Chat-b2.js");console.log("entry");',
        "/assets/Chat-b2.js": 'export default ()=>import("./Admin-c3.js");',
        "/assets/Admin-c3.js": key_line(31),  # two dynamic imports away from the page
        "/assets/Billing-d4.js": key_line(32),  # named by no script: only the manifest lists it
        "/.vite/manifest.json": json.dumps(
            {"index.html": {"file": "assets/index-a1.js", "isEntry": True, "dynamicImports": ["src/Billing.tsx"]},
             "src/Billing.tsx": {"file": "assets/Billing-d4.js", "isDynamicEntry": True}}
        ),
    }
    html = '<!doctype html><html><head><script type="module" src="/assets/index-a1.js"></script></head><body></body></html>'
    result = await run_one(CHECK, make_target(await serve(spa(files, html))))
    assert result.status is Status.FAIL, result.summary
    assert result.summary.startswith("2 secrets served to every browser in 1 page, 4 of 4 scripts (3 lazily loaded chunks, 1 build manifest)")
    leaked = sorted(f.resource.rsplit("/", 1)[1] for f in result.findings if f.evidence.get("rule"))
    assert leaked == ["Admin-c3.js:1", "Billing-d4.js:1"]


async def test_webpack_chunk_maps_are_followed(serve):
    runtime = 'r.p="/";r.u=function(e){return"static/js/"+e+"."+{12:"a1b2c3d4",345:"deadbeef"}[e]+".chunk.js"};'
    files = {
        "/static/js/main.0f0f0f.js": runtime,
        "/static/js/12.a1b2c3d4.chunk.js": "console.log('chat');",
        "/static/js/345.deadbeef.chunk.js": key_line(33, "stripe-access-token"),
    }
    html = '<html><body><script src="/static/js/main.0f0f0f.js"></script></body></html>'
    result = await run_one(CHECK, make_target(await serve(spa(files, html))))
    assert result.status is Status.FAIL, result.summary
    assert "3 of 3 scripts (2 lazily loaded chunks)" in result.summary
    assert result.requests == 5  # page, asset-manifest.json (404), 3 scripts


async def test_next_build_manifest_pages_are_read(serve):
    files = {
        "/_next/static/chunks/main-aa.js": "console.log('main');",
        "/_next/static/BUILD7/_buildManifest.js": 'self.__BUILD_MANIFEST={"/":["static/chunks/pages/index-bb.js"],"/chat":["static/chunks/pages/chat-cc.js"]};',
        "/_next/static/chunks/pages/index-bb.js": "console.log('index');",
        "/_next/static/chunks/pages/chat-cc.js": key_line(34),
    }
    data = json.dumps({"props": {}, "page": "/", "buildId": "BUILD7"})
    html = f'<html><body><script id="__NEXT_DATA__" type="application/json">{data}</script><script src="/_next/static/chunks/main-aa.js"></script></body></html>'
    result = await run_one(CHECK, make_target(await serve(spa(files, html))))
    assert result.status is Status.FAIL, result.summary
    assert "1 build manifest" in result.summary
    assert any(f.resource.endswith("/pages/chat-cc.js:1") for f in result.findings)


async def test_chunks_are_read_within_the_bound_and_the_rest_is_said(serve):
    from checks.secrets.bundle import MAX_SCRIPTS

    chunks = [f"./c{i:03d}.js" for i in range(MAX_SCRIPTS + 20)]
    files = {"/assets/index.js": ";".join(f'import("{c}")' for c in chunks)}
    files |= {f"/assets/{c[2:]}": "console.log(1);" for c in chunks}
    html = '<html><head><script type="module" src="/assets/index.js"></script></head></html>'
    result = await run_one(CHECK, make_target(await serve(spa(files, html))))
    assert result.status is Status.PASS, result.summary
    assert f"{MAX_SCRIPTS} of {MAX_SCRIPTS + 21} scripts" in result.summary
    assert any(f"Only {MAX_SCRIPTS} of {MAX_SCRIPTS + 21} same-site scripts were fetched" in f.message for f in result.findings)
    assert result.requests <= MAX_REQUESTS
