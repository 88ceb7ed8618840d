"""A small static HTTP server on 127.0.0.1 for the demo site, crawl tests and crawl benchmarks.

``serve(root)`` serves one folder; ``serve_demo()`` starts one server per demo site (each a
subfolder of ``data/demo_site`` holding a ``site.toml``) so that every site has its own origin,
its own ``robots.txt`` and its own ``sitemap.xml``, the way real sites do.

The HTTP-serving mechanics (listening, threads, keep-alive, writing an answer -- whole, chunked,
streamed or cut short --, recording requests, start/stop) are ``SiteServer`` in
``pipelines/demo/serving.py``; ``LocalSite`` is the demo's static files on top of it.  The tests' and benches' scriptable server
(``tests/mockserver.py``) is another thin layer over the same ``SiteServer``, so there is one
implementation of serving: the product cannot import ``tests/``, the tests can import this.

Why the standard library (``http.server.ThreadingHTTPServer``) and not a third-party server:
the server must start in-process from a test or from ``guidecrawl demo`` on a free port, in a
background thread, with no extra dependency, and it must do a few things on purpose that real
static servers try hard *not* to do -- send a Content-Type charset that lies about the bytes,
answer 410 for a path that has a file, substitute the run-time base URL into a sitemap.  That is
a hundred lines over ``BaseHTTPRequestHandler``; bending a production server to it would be more.

Behaviour (what crawl tests rely on):

* files under ``root`` are served with their bytes untouched; ``/`` and ``/dir/`` serve
  ``index.html``; ``/dir`` (a folder) redirects to ``/dir/``; the query string is ignored when
  looking up a file (so ``/a/1.html?from=rss`` is the same page as ``/a/1.html``);
* ``.html`` is ``text/html`` with **no** charset, unless ``_routes.json`` says otherwise;
* ``_routes.json`` (in ``root``) maps a path -- or a path with its query -- to
  ``{"status": int, "headers": {...}, "body_file": "rel/path", "template": bool}``:
  ``headers`` override the defaults (e.g. ``Content-Type: text/html; charset=utf-8`` on a page
  whose bytes are GBK), ``status`` overrides 200 (a 404/410 for a path, with or without a file),
  ``body_file`` serves another file's bytes, ``template`` replaces ``{base}`` in the body with the
  server's base URL (sitemaps and robots ``Sitemap:`` lines need absolute URLs, and the port is
  only known at run time);
* ``ETag`` (content hash) and ``Last-Modified`` (file mtime) on every file; ``If-None-Match`` and
  ``If-Modified-Since`` give 304 (``If-None-Match`` wins when both are sent, as RFC 9110 says);
* ``HEAD`` works; missing files are 404; paths that leave ``root`` (``..``, encoded ``%2e%2e``,
  symlinks pointing outside, NUL bytes) are refused with 403; control files (``_routes.json``,
  ``site.toml``, names starting with ``_``) are 404;
* no log lines on stderr; every request is recorded in ``LocalSite.requests`` instead, so a test
  can prove a path was *not* fetched;
* files are read once and kept in memory (a crawl bench serves thousands of pages).

"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cleaners.data import DEMO_ROOT
from crawler.profiles import profile_from_file, read_profile_toml
from crawler.profiles import substitute_base as substitute_base  # re-exported for the demo's tools
from pipelines.demo.serving import SiteServer, _plain
from pipelines.errors import USER_ERRORS, UserError

ROUTES_FILE = "_routes.json"
SITE_FILE = "site.toml"

# A fixed table instead of ``mimetypes``: ``mimetypes`` reads /etc/mime.types, so the answer
# would depend on the machine, and crawl tests assert on Content-Type.  HTML deliberately has no
# charset: the page's own <meta> (or a _routes.json header) is what the crawler must decode by.
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Route:
    """One ``_routes.json`` entry."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body_file: str | None = None
    template: bool = False


@dataclass(frozen=True, slots=True)
class _Entity:
    """A file as served: bytes (after template substitution), validators, content type."""

    body: bytes
    etag: str
    mtime: int  # whole seconds: HTTP dates have no sub-second part
    content_type: str


def load_routes(root: Path) -> dict[str, Route]:
    """Read ``root/_routes.json``; a malformed file is the user's mistake, said in one line."""
    path = root / ROUTES_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc}); fix or remove the file") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected an object mapping paths to routes")
    routes: dict[str, Route] = {}
    for key, spec in raw.items():
        if key.startswith("//"):  # "//comment" keys document the file
            continue
        if not key.startswith("/") or not isinstance(spec, dict):
            raise UserError(f"{path}: route {key!r} must be an absolute path mapping to an object")
        unknown = set(spec) - {"status", "headers", "body_file", "template", "why"}
        if unknown:
            raise UserError(f"{path}: route {key!r} has unknown keys {sorted(unknown)}")
        routes[key] = Route(
            status=int(spec.get("status", 200)),
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            body_file=spec.get("body_file"),
            template=bool(spec.get("template", False)),
        )
    return routes


class LocalSite(SiteServer):
    """A running static server of the files under ``root`` (see the module's docstring)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0):
        root = Path(root)
        if not root.is_dir():
            raise UserError(f"{root}: not a folder; give the folder to serve")
        self.root = root.resolve()
        self.routes = load_routes(self.root)
        self._cache: dict[str, _Entity | None] = {}
        self._cache_lock = threading.Lock()
        self._located: dict[str, tuple[str | None, bool]] = {}
        super().__init__(host, port)

    # -- answering -------------------------------------------------------------------------
    def respond(self, raw_path: str, request_headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        """The status, headers and body for one GET (HEAD drops the body)."""
        parts = urlsplit(raw_path)
        path = unquote(parts.path or "/")
        if not _is_safe(path):
            return _plain(HTTPStatus.FORBIDDEN, "forbidden: path leaves the served folder\n")
        route = self.routes.get(f"{path}?{parts.query}") if parts.query else None
        route = route or self.routes.get(path)

        rel = route.body_file if route and route.body_file else path
        target, redirect = self._locate(rel)
        if redirect and not (route and route.body_file):
            location = path + "/" + (f"?{parts.query}" if parts.query else "")
            return HTTPStatus.MOVED_PERMANENTLY, {"Location": location, "Content-Type": "text/plain"}, b""
        entity = self._entity(target, template=bool(route and route.template)) if target else None

        if entity is None:
            if route and route.status != 200:
                status = route.status
                return status, {"Content-Type": "text/html", **route.headers}, _status_page(status)
            if target == "":
                return _plain(HTTPStatus.FORBIDDEN, "forbidden: path leaves the served folder\n")
            return _plain(HTTPStatus.NOT_FOUND, "not found\n")

        status = route.status if route else 200
        headers = {
            "Content-Type": entity.content_type,
            "ETag": entity.etag,
            "Last-Modified": formatdate(entity.mtime, usegmt=True),
        }
        if route:
            headers.update(route.headers)
        if status == 200 and _not_modified(request_headers, entity):
            return (
                HTTPStatus.NOT_MODIFIED,
                {"ETag": entity.etag, "Last-Modified": headers["Last-Modified"]},
                b"",
            )
        return status, headers, entity.body

    def _locate(self, path: str) -> tuple[str | None, bool]:
        """Map a URL path to a file path relative to root: (rel or None, needs-trailing-slash).

        ``""`` as rel means "refused": the path resolved outside root (a symlink).  Answers are
        remembered like file bytes are: a bench asks for the same pages many times, and
        ``resolve()`` costs several system calls.
        """
        try:
            return self._located[path]
        except KeyError:
            found = self._located[path] = self._find(path)
            return found

    def _find(self, path: str) -> tuple[str | None, bool]:
        rel = path.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        name = rel.rsplit("/", 1)[-1]
        if name.startswith("_") or (name == SITE_FILE and "/" not in rel):
            return None, False
        full = self.root / rel
        try:
            resolved = full.resolve()
        except OSError:
            return None, False
        if not resolved.is_relative_to(self.root):
            return "", False
        if resolved.is_dir():
            return (None, True) if (resolved / "index.html").is_file() else (None, False)
        return (rel if resolved.is_file() else None), False

    def _entity(self, rel: str, template: bool) -> _Entity | None:
        key = f"{'T' if template else 'F'}{rel}"
        try:
            return self._cache[key]
        except KeyError:
            pass
        with self._cache_lock:  # one read per file even when many threads ask at once
            if key in self._cache:
                return self._cache[key]
            full = self.root / rel
            try:
                body = full.read_bytes()
                mtime = int(full.stat().st_mtime)
            except OSError:
                return None
            if template:
                body = body.replace(b"{base}", self.url.encode("ascii"))
            suffix = Path(rel).suffix.lower()
            entity = _Entity(
                body=body,
                etag='"' + hashlib.sha1(body).hexdigest()[:20] + '"',
                mtime=mtime,
                content_type=CONTENT_TYPES.get(suffix, DEFAULT_CONTENT_TYPE),
            )
            self._cache[key] = entity
            return entity


_DRIVE = re.compile(r"^[A-Za-z]:")


def _is_safe(path: str) -> bool:
    """Refuse ``..`` segments, backslashes and NULs before touching the file system."""
    if "\x00" in path or "\\" in path or not path.startswith("/") or _DRIVE.match(path.lstrip("/")):
        return False
    segments = path.split("/")
    if any(seg == ".." for seg in segments):
        return False
    return posixpath.normpath(path).startswith("/")


def _not_modified(headers: Mapping[str, str], entity: _Entity) -> bool:
    inm = headers.get("If-None-Match")
    if inm is not None:  # RFC 9110 13.1.3: If-None-Match takes precedence over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or entity.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError):
            return False  # an unparsable date is ignored, as the RFC says
        return entity.mtime <= since
    return False


def _status_page(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "status"
    return f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>\n".encode()


def serve(root: Path, host: str = "127.0.0.1", port: int = 0) -> LocalSite:
    """Serve ``root`` in a background thread; port 0 picks a free port.  See ``LocalSite``."""
    return LocalSite(root, host, port)


# -- the demo: one server per site ---------------------------------------------------------


def site_folders(root: Path) -> list[Path]:
    """The subfolders of ``root`` that are sites (hold a site.toml), sorted by name."""
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / SITE_FILE).is_file())


def read_profile(folder: Path) -> dict:
    """The raw TOML of a demo site's profile (``crawler.profiles.read_profile_toml``)."""
    return read_profile_toml(folder / SITE_FILE)


class DemoSites(Mapping[str, str]):
    """Running demo servers: a mapping ``{site_name: base_url}`` plus the servers and profiles."""

    def __init__(self, root: Path = DEMO_ROOT, host: str = "127.0.0.1", port: int = 0):
        root = Path(root)
        if not root.is_dir():
            raise UserError(f"{root}: demo site folder not found; run from a full checkout")
        folders = site_folders(root)
        if not folders:
            raise UserError(f"{root}: no site folders (subfolders with a {SITE_FILE}) found")
        self.root = root
        self.sites: dict[str, LocalSite] = {}
        self._folders: dict[str, Path] = {}
        try:
            for i, folder in enumerate(folders):
                raw = read_profile(folder)
                name = str(raw.get("name") or folder.name)
                if name in self.sites:
                    raise UserError(f"{folder / SITE_FILE}: site name {name!r} used twice")
                self._folders[name] = folder
                self.sites[name] = LocalSite(folder, host, port + i if port else 0)
        except BaseException:
            self.stop()
            raise

    def __getitem__(self, name: str) -> str:
        return self.sites[name].url

    def __iter__(self) -> Iterator[str]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    @property
    def urls(self) -> dict[str, str]:
        """``{site_name: base_url}`` (base URLs have no trailing slash)."""
        return {name: site.url for name, site in self.sites.items()}

    def profiles(self) -> dict[str, dict]:
        """``{name: profile}`` with ``{base}`` replaced by each site's running base URL, loaded
        and validated by ``crawler.profiles.profile_from_file`` exactly like ``data/sites/*.toml``."""
        return {
            name: profile_from_file(self._folders[name] / SITE_FILE, base=self.sites[name].url)
            for name in self.sites
        }

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def __enter__(self) -> DemoSites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_demo(root: Path = DEMO_ROOT, host: str = "127.0.0.1", port: int = 0) -> DemoSites:
    """Start one server per site folder of ``root``; stop them with ``.stop()`` or ``with``.

    ``port`` 0 gives every site a free port; otherwise the sites get ``port``, ``port + 1`` ...
    in name order (handy when serving by hand).
    """
    return DemoSites(root, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo.localsite",
        description="Serve a folder of static pages on 127.0.0.1 until Ctrl-C. A folder whose "
        "subfolders hold site.toml files (like data/demo_site) gets one server per site.",
    )
    parser.add_argument(
        "dir", nargs="?", type=Path, default=DEMO_ROOT, help="folder to serve (default: %(default)s)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port to listen on (a multi-site folder uses PORT, PORT+1 ... in name order); 0 = free ports (default)",
    )
    args = parser.parse_args(argv)
    try:
        if not args.dir.is_dir():
            raise UserError(f"{args.dir}: not a folder; give the folder to serve")
        if not (args.dir / SITE_FILE).is_file() and site_folders(args.dir):
            servers: Mapping[str, str] = serve_demo(args.dir, args.host, args.port)
            stop = servers.stop  # type: ignore[attr-defined]
        else:
            one = serve(args.dir, args.host, args.port)
            servers, stop = {args.dir.resolve().name: one.url}, one.stop
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for name, url in servers.items():
        print(f"{name}\t{url}/", flush=True)
    print("serving; Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
