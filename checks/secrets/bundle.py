"""What a browser receives: the configured pages, their inline scripts and JSON blobs
(``__NEXT_DATA__``), same-site scripts, the chunks those scripts load lazily and the build
manifests that list them (see ``checks.secrets.chunks``), and the source maps scripts point to.

Everything is fetched through the check's scoped client; third-party scripts are noted and
not fetched. Counts are bounded (pages, manifests, scripts, maps) so the request bound is
real, and the bundle says how many scripts it found and how many it read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from checks.context import CheckContext, HttpResponse, ProbeError
from checks.secrets.chunks import chunk_urls, manifest_urls
from checks.target import Target

__all__ = ["MAX_MANIFESTS", "MAX_MAPS", "MAX_PAGES", "MAX_REQUESTS", "MAX_SCRIPTS", "Bundle", "Document", "collect"]

MAX_PAGES = 10
MAX_MANIFESTS = 5
MAX_SCRIPTS = 60  # entry scripts and lazily loaded chunks together
MAX_MAPS = 25
PAGE_REDIRECTS = 5  # the scoped client follows at most this many per page
# Every page may redirect; manifests, scripts and maps are fetched without following redirects.
MAX_REQUESTS = MAX_PAGES * (1 + PAGE_REDIRECTS) + MAX_MANIFESTS + MAX_SCRIPTS + MAX_MAPS
SCRIPT_CAP = 8 * 1024 * 1024
_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL=([^\s'\"*]+)")
_JSON_TYPES = ("application/json", "application/ld+json")


@dataclass(frozen=True)
class Document:
    name: str  # what a finding points at: a URL, "URL <inline script 2>", "MAP#src/file.ts"
    kind: str  # page, inline-script, json-blob, script, source-map-source
    text: str


@dataclass
class Bundle:
    documents: list[Document] = field(default_factory=list)
    source_maps: list[str] = field(default_factory=list)  # URLs of maps that were served
    pages_ok: int = 0
    page_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scripts_found: int = 0  # same-site scripts named by pages, scripts and manifests
    chunks_found: int = 0  # of those, named only by a script or a manifest (lazily loaded)
    manifests: list[str] = field(default_factory=list)  # build manifests that were served

    @property
    def scripts_read(self) -> int:
        return sum(1 for d in self.documents if d.kind == "script")

    @property
    def bytes(self) -> int:
        return sum(len(d.text) for d in self.documents)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []
        self.inline: list[tuple[str, str]] = []  # (kind, text)
        self._open: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            if values.get("src"):
                self.sources.append(values["src"])
                self._open = None
            else:
                kind = "json-blob" if values.get("type", "").lower() in _JSON_TYPES else "inline-script"
                self._open, self._buffer = kind, []
        elif tag == "link" and values.get("href"):
            rel = values.get("rel", "").lower()
            if "modulepreload" in rel or ("preload" in rel and values.get("as") == "script"):
                self.sources.append(values["href"])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            text = "".join(self._buffer).strip()
            if text:
                self.inline.append((self._open, text))
            self._open = None


def _same_site(url: str, target: Target) -> bool:
    return (urlsplit(url).hostname or "").lower() in target.hosts


def _map_url(script_url: str, text: str, headers: dict[str, str]) -> str | None:
    header = headers.get("sourcemap") or headers.get("x-sourcemap")
    if header:
        return urljoin(script_url, header.strip())
    tail = text[-4096:]
    found = _MAP_COMMENT.findall(tail)
    return urljoin(script_url, found[-1]) if found else None


def _data_url(url: str) -> str | None:
    """The content of a ``data:`` source map (inlined by dev builds), or None."""
    head, _, payload = url.partition(",")
    try:
        if head.endswith(";base64"):
            return base64.b64decode(payload).decode("utf-8", errors="replace")
        return unquote(payload)
    except (binascii.Error, ValueError):
        return None


def _map_documents(name: str, text: str, bundle: Bundle) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        bundle.notes.append(f"{name} is not a JSON source map.")
        return
    if not isinstance(data, dict):
        return
    sources = data.get("sources") or []
    contents = data.get("sourcesContent") or []
    for i, content in enumerate(contents):
        if isinstance(content, str) and content:
            source = sources[i] if i < len(sources) and isinstance(sources[i], str) else f"source {i}"
            bundle.documents.append(Document(f"{name}#{source}", "source-map-source", content))


def _add_chunks(scripts: list[str], found: list[str], target: Target) -> None:
    """Queue the same-site chunks a script or manifest names. Other sites' URLs in a script's
    text are not noted: a library naming a CDN is not a script the page loads."""
    scripts += [url for url in found if url not in scripts and _same_site(url, target)]


async def _get_asset(ctx: CheckContext, url: str, bundle: Bundle) -> HttpResponse | None:
    """GET a same-site manifest, script or source map: capped, not redirected; a probe error
    becomes a note and ``None``."""
    try:
        return await ctx.http.request("GET", url, body_cap=SCRIPT_CAP, follow_redirects=False)
    except ProbeError as exc:
        bundle.notes.append(str(exc))
        return None


async def collect(target: Target, ctx: CheckContext) -> Bundle:
    """Fetch the pages and what they load; a page that cannot be fetched is recorded."""
    bundle = Bundle()
    pages = target.pages[:MAX_PAGES]
    if len(target.pages) > MAX_PAGES:
        bundle.notes.append(f"Only the first {MAX_PAGES} of {len(target.pages)} pages were fetched.")
    scripts: list[str] = []
    manifests: list[str] = []
    for route in pages:
        try:
            page = await ctx.http.request(route.method, route.path, follow_redirects=True)
        except ProbeError as exc:
            bundle.page_errors.append(str(exc))
            continue
        if not 200 <= page.status < 300:
            bundle.page_errors.append(f"{route} answered {page.status}, not 2xx, so its scripts could not be read.")
            continue
        bundle.pages_ok += 1
        parser = _Scripts()
        parser.feed(page.text)
        parser.close()
        bundle.documents.append(Document(page.url, "page", page.text))
        for n, (kind, text) in enumerate(parser.inline, 1):
            label = "JSON blob" if kind == "json-blob" else "inline script"
            bundle.documents.append(Document(f"{page.url} <{label} {n}>", kind, text))
        page_scripts = []
        for src in parser.sources:
            url = urljoin(page.url, src)
            if not _same_site(url, target):
                bundle.notes.append(f"Third-party script {url} was not fetched.")
            elif url not in scripts:
                scripts.append(url)
            page_scripts.append(url)
        manifests += [m for m in manifest_urls(page.url, page_scripts, page.text) if m not in manifests and _same_site(m, target)]
    entry_scripts = len(scripts)
    for url in manifests[:MAX_MANIFESTS]:
        response = await _get_asset(ctx, url, bundle)
        if response is not None and 200 <= response.status < 300:
            bundle.manifests.append(url)
            bundle.documents.append(Document(url, "manifest", response.text))
            _add_chunks(scripts, chunk_urls(url, response.text), target)
    maps: list[str] = []
    fetched = 0
    while fetched < min(len(scripts), MAX_SCRIPTS):  # the list grows as scripts name their chunks
        url = scripts[fetched]
        fetched += 1
        script = await _get_asset(ctx, url, bundle)
        if script is None:
            continue
        if not 200 <= script.status < 300:
            bundle.notes.append(f"GET {url} answered {script.status}.")
            continue
        if script.truncated:
            bundle.notes.append(f"{url} is larger than {SCRIPT_CAP // (1024 * 1024)} MB; only its start was scanned.")
        bundle.documents.append(Document(url, "script", script.text))
        _add_chunks(scripts, chunk_urls(url, script.text), target)
        found = _map_url(url, script.text, {k.lower(): v for k, v in script.headers.items()})
        if found and found.startswith("data:"):
            inline = _data_url(found)
            if inline:
                bundle.source_maps.append(f"{url} (inline data: map)")
                _map_documents(f"{url} <inline source map>", inline, bundle)
        elif found and _same_site(found, target) and found not in maps:
            maps.append(found)
    bundle.scripts_found = len(scripts)
    bundle.chunks_found = len(scripts) - entry_scripts
    if len(scripts) > MAX_SCRIPTS:
        bundle.notes.append(f"Only {MAX_SCRIPTS} of {len(scripts)} same-site scripts were fetched (entry scripts first, then chunks in the order they were found).")
    for url in maps[:MAX_MAPS]:
        response = await _get_asset(ctx, url, bundle)
        if response is not None and 200 <= response.status < 300:
            bundle.source_maps.append(url)
            _map_documents(url, response.text, bundle)
    return bundle
