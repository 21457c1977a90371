"""The rest of a single-page app's bundle: chunks a script loads lazily, and build manifests.

A modern front end ships an entry script that loads the other chunks on demand. Their URLs are
in the scripts themselves (``import("./Chat-3f2a.js")``, Vite's preload lists, webpack's
chunk maps ``"static/js/" + id + "." + {12: "a1b2"}[id] + ".chunk.js"``) and in the build
manifests (Vite ``.vite/manifest.json``, webpack/CRA ``asset-manifest.json``, Next.js
``_buildManifest.js`` and ``build-manifest.json``). Everything here is text work: the bundle
fetches what these functions name, within its bound.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["chunk_urls", "manifest_urls"]

# A quoted path ending in .js/.mjs: relative ("./x.js"), rooted ("/assets/x.js"), under a
# build directory ("assets/x.js", "static/chunks/x.js") or absolute.
_SCRIPT_PATH = re.compile(
    r"""["'`]((?:\.{1,2}/|/|https?://)?[\w@~.-]+(?:/[\w@~.-]+)*\.m?js)["'`]"""
)
# webpack's public path: __webpack_require__.p = "/_next/" (minified: r.p="/").
_PUBLIC_PATH = re.compile(r"""\b\w+\.p\s*=\s*["']([^"']*)["']""")
# webpack's chunk map: "static/js/" + e + "." + {12:"a1b2c3d4"}[e] + ".chunk.js", optionally
# with a name map first: "static/chunks/" + ({12:"chat"}[e] || e) + "." + {...}[e] + ".js".
_CHUNK_MAP = re.compile(
    r"""["']([\w/.-]*)["']\s*\+\s*(?:\(\s*\(?\s*(\{[^{}]*\})\s*\)?\s*\[\s*\w+\s*\]\s*\|\|\s*\w+\s*\)|\w+)"""
    r"""\s*\+\s*["']([\w.-]*)["']\s*\+\s*(\{[^{}]*\})\s*\[\s*\w+\s*\]\s*\+\s*["']([\w.-]*\.m?js)["']"""
)
_MAP_ENTRY = re.compile(r"""["']?([\w-]+)["']?\s*:\s*["']([\w.-]+)["']""")
# A chunk map lists every chunk of the app; the bundle bounds what is fetched.
MAX_FROM_ONE_SCRIPT = 500


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _base_for_bare(script_url: str, text: str) -> str:
    """Where a bare "assets/x.js" or "static/chunks/x.js" resolves: webpack's public path when
    the script sets one, Next.js's /_next/, else the site root (Vite's default base)."""
    found = _PUBLIC_PATH.search(text)
    if found and found.group(1).startswith("/"):
        return urljoin(_root(script_url), found.group(1))
    if "/_next/" in script_url:
        return urljoin(_root(script_url), "/_next/")
    return _root(script_url)


def chunk_urls(script_url: str, text: str) -> list[str]:
    """Absolute URLs of the scripts ``text`` (served at ``script_url``) may load, in order."""
    bare_base = _base_for_bare(script_url, text)
    found: list[str] = []

    def add(path: str) -> None:
        if path.startswith(("http://", "https://")):
            url = path
        elif path.startswith(("./", "../")):
            url = urljoin(script_url, path)
        elif path.startswith("/"):
            url = urljoin(_root(script_url), path)
        elif "/" in path:
            url = urljoin(bare_base, path)
        else:
            return  # a bare file name ("react.js") is more often a label than a path
        if url != script_url and url not in found and len(found) < MAX_FROM_ONE_SCRIPT:
            found.append(url)

    for match in _CHUNK_MAP.finditer(text):
        prefix, names, dot, hashes, suffix = match.groups()
        named = dict(_MAP_ENTRY.findall(names)) if names else {}
        for chunk_id, digest in _MAP_ENTRY.findall(hashes):
            add(f"{prefix}{named.get(chunk_id, chunk_id)}{dot}{digest}{suffix}")
    for match in _SCRIPT_PATH.finditer(text):
        add(match.group(1))
    return found


def manifest_urls(page_url: str, script_urls: list[str], page_text: str) -> list[str]:
    """Build manifests worth asking for, judged by what the page loads (a Vite, webpack or
    Next.js build); each one lists the app's chunks."""
    root = _root(page_url)
    urls: list[str] = []
    paths = [urlsplit(u).path for u in script_urls]
    if any("/assets/" in p for p in paths) or 'type="module"' in page_text:
        urls += [urljoin(root, "/.vite/manifest.json"), urljoin(root, "/manifest.json")]
    if any(p.startswith("/static/js/") for p in paths):
        urls.append(urljoin(root, "/asset-manifest.json"))
    if any(p.startswith("/_next/") for p in paths):
        build = re.search(r'"buildId"\s*:\s*"([\w.-]+)"', page_text)
        if build:
            urls.append(urljoin(root, f"/_next/static/{build.group(1)}/_buildManifest.js"))
        urls.append(urljoin(root, "/_next/build-manifest.json"))
    return urls
