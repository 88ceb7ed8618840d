r"""Site profiles: what to crawl on a site and how to tell its pages apart, as data (TOML).

A profile lives in ``data/sites/<name>.toml`` (or any file given with ``profile_from_file``)::

    name = "guanxian"                  # site name stored in every row
    description = "..."
    start_urls = ["{base}/", "{base}/sitemap.xml"]   # sitemaps and robots Sitemap: lines followed
    allowed_domains = []               # empty: only the start URLs' origins (scheme, host, port);
                                       # "example.com" adds it and its subdomains on ports 80/443,
                                       # "example.com:8080" that host on that port
    [links]                            # regexes searched in absolute URLs
    article = ['/consult/\w+/\d+\.html$']
    listing = ['/consult/\w+/(list_\d+\.html)?$']
    next_page = ['_(\d+)\.html$']       # later pages of a multi-page article (also 下一页/第N页)
    deny = ['/tag/']
    [extract]                          # optional CSS selectors for the cleaner
    title = ""  body = ""  date = ""  comments = ""
    [health]                           # optional thresholds, see pipelines/run/health.py
    [settings]                         # optional crawl settings (CRAWL_SETTINGS), e.g.
    DOWNLOAD_DELAY = 2.0               # politeness for this site; `crawl -s NAME=VALUE` wins

``{base}`` is replaced by a local server's base URL (``profile_from_file(path, base)``; escaped
inside ``[links]`` regexes).  A profile with no ``article`` rule is crawled in generic mode: the
URL patterns below plus the page-content test of the spider.  Loading validates the whole file and raises
``CrawlConfigError`` with the file, the key and what to do, so a typo in a profile is one clear line at
start-up instead of a crawl that silently follows nothing.

Profiles are plain dicts of strings and lists (no compiled regexes) so that they pickle cheaply to
the cleaning processes; ``compile_rules`` turns the ``[links]`` table into regexes once per crawl.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cleaners.data import DEMO_ROOT, data_path
from crawler.errors import CrawlConfigError
from crawler.origins import DEFAULT_PORTS, origin

LINK_KEYS = ("article", "listing", "next_page", "deny")
EXTRACT_KEYS = ("title", "body", "date", "comments")
TOP_KEYS = {
    "name",
    "description",
    "start_urls",
    "allowed_domains",
    "links",
    "extract",
    "health",
    "settings",
    "generic",
}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Generic-mode URL patterns of article pages on content farms and Q&A sites.  A URL that matches
# one is *probably* an article; the spider still checks the page content (text vs link density),
# because farms also number their listing pages (``/list_12.html``).
GENERIC_ARTICLE = [
    r"/\d+\.s?html?$",
    r"/article/",
    r"/consult/.+\.html?$",
    r"/question/",
    r"/\d{4,}/",
    r"/(?:news|a|p|info|show|detail|view)/[\w-]*\d[\w-]*(?:\.html?)?$",
]
GENERIC_LISTING = [
    r"/$",
    r"/(?:list|index)[_-]?\d*\.s?html?$",
    r"[?&](?:page|p|pn)=\d+$",
    r"/(?:tag|tags|category|cat|list)/",
]
# Pages of a multi-page article: 123_2.html, 123-2.html, ?page=2.  The link text (下一页, 第N页)
# finds the rest; these also keep a part URL from being crawled as an article of its own.
GENERIC_NEXT_PAGE = [r"_(\d+)\.s?html?$", r"[?&]page=(\d+)$"]
GENERIC_DENY = [
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|rar|7z|exe|apk|mp[34]|avi|doc|xlsx?)(?:\?|$)",
    r"/(?:login|register|logout|signup|search|member|user|cart)\b",
    r"[?&](?:replytocom|share|action)=",
    r"^mailto:|^javascript:",
]


# The crawl settings a site profile's ``[settings]`` table and ``guidecrawl crawl -s NAME=VALUE``
# may set, with their type and lower bound.  A short list on purpose: politeness, identity and the
# limits that make every crawl end; anything else is the project's business (crawler/settings.py).
# (kind, minimum): kind is "int", "float", "bool" or "str".
CRAWL_SETTINGS: dict[str, tuple[str, float | None]] = {
    "DOWNLOAD_DELAY": ("float", 0),
    "DOWNLOAD_DELAY_JITTER": ("float", 0),
    "DOWNLOAD_TIMEOUT": ("float", 1),
    "CONCURRENT_REQUESTS": ("int", 1),
    "CONCURRENT_REQUESTS_PER_DOMAIN": ("int", 1),
    "AUTOTHROTTLE_ENABLED": ("bool", None),
    "AUTOTHROTTLE_START_DELAY": ("float", 0),
    "AUTOTHROTTLE_MAX_DELAY": ("float", 0),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": ("float", 0.01),
    "AUTOTHROTTLE_DEBUG": ("bool", None),
    "USER_AGENT": ("str", None),
    "RETRY_TIMES": ("int", 0),
    "DEPTH_LIMIT": ("int", 0),
    "CLOSESPIDER_PAGECOUNT": ("int", 0),
    "CLOSESPIDER_TIMEOUT": ("float", 0),
    "GUIDECRAWL_MAX_PAGES": ("int", 0),
    "GUIDECRAWL_SITE_PAGE_BUDGET": ("int", 0),
    "GUIDECRAWL_TRAP_PAGES": ("int", 0),
    "GUIDECRAWL_TRAP_DISTANCE": ("int", 0),
    "GUIDECRAWL_RETRY_AFTER_MAX": ("float", 0),
}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def check_setting(name: str, value: Any, where: str) -> Any:
    """``value`` of crawl setting ``name`` checked against ``CRAWL_SETTINGS`` (strings, as ``-s``
    gives them, are converted); raises ``CrawlConfigError`` (exit 2) naming ``where`` and what to do."""
    if name not in CRAWL_SETTINGS:
        close = [k for k in CRAWL_SETTINGS if k.split("_")[0] == name.split("_")[0]] or list(CRAWL_SETTINGS)
        raise CrawlConfigError(f"{where}: unknown crawl setting {name!r}; known: {', '.join(close)}")
    kind, low = CRAWL_SETTINGS[name]
    bad = CrawlConfigError(
        f"{where}: {name} must be "
        + {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "a string"}[kind]
        + (f" >= {low:g}" if low is not None else "")
        + f", not {value!r}"
    )
    if isinstance(value, str) and kind != "str":
        text = value.strip().lower()
        if kind == "bool":
            if text not in TRUE_WORDS | FALSE_WORDS:
                raise bad
            return text in TRUE_WORDS
        try:
            value = int(text) if kind == "int" else float(text)
        except ValueError:
            raise bad from None
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise bad
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad
    if kind == "int" and not float(value).is_integer():
        raise bad
    value = int(value) if kind == "int" else float(value)
    if value != value or (low is not None and value < low):  # NaN too
        raise bad
    return value


def validate_settings(raw: Any, where: str) -> dict:
    """A ``[settings]`` table (or ``-s`` pairs) checked name by name; see ``check_setting``."""
    if not isinstance(raw, Mapping):
        raise _err(where, "[settings] must be a table of NAME = value")
    return {name: check_setting(name, value, where) for name, value in raw.items()}


def parse_setting_args(pairs: Sequence[str]) -> dict:
    """``["NAME=VALUE", ...]`` of ``guidecrawl crawl -s`` as checked, typed settings."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrawlConfigError(f"-s {pair!r}: write -s NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2")
        out[name.strip()] = check_setting(name.strip(), value, f"-s {name.strip()}")
    return out


def _err(where: str, msg: str) -> CrawlConfigError:
    return CrawlConfigError(f"{where}: {msg}")


def _str_list(value: Any, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(where, f"{key} must be a list of strings, not {value!r}")
    return list(value)


def validate_profile(raw: Mapping[str, Any], where: str = "profile") -> dict:
    """Check a profile's keys and types; return a normalized copy with every table present.

    Raises ``CrawlConfigError`` naming ``where`` (the file) and the bad key.
    """
    if not isinstance(raw, Mapping):
        raise _err(where, "a profile must be a TOML table")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise _err(where, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(TOP_KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _err(where, f"name must be a short identifier (letters, digits, _ . -), not {name!r}")
    desc = raw.get("description", "")
    if not isinstance(desc, str):
        raise _err(where, "description must be a string")
    start = _str_list(raw.get("start_urls", []), where, "start_urls")
    for u in start:
        if not u.startswith(("http://", "https://")):
            raise _err(where, f"start URL {u!r} is not an http(s) URL (use {{base}} for a local server)")
    domains = _str_list(raw.get("allowed_domains", []), where, "allowed_domains")
    for d in domains:
        if not re.fullmatch(r"\.?[\w.-]+(:\d{1,5})?", d):
            raise _err(where, f"allowed_domains: {d!r} is not a host name (or host:port)")
    links_raw = raw.get("links", {})
    if not isinstance(links_raw, Mapping):
        raise _err(where, "[links] must be a table")
    bad = sorted(set(links_raw) - set(LINK_KEYS))
    if bad:
        raise _err(where, f"unknown [links] key(s) {', '.join(bad)}; known: {', '.join(LINK_KEYS)}")
    links = {}
    for key in LINK_KEYS:
        pats = _str_list(links_raw.get(key, []), where, f"links.{key}")
        for p in pats:
            try:
                re.compile(p)
            except re.error as exc:
                raise _err(where, f"links.{key}: bad regex {p!r} ({exc})") from exc
        links[key] = pats
    extract_raw = raw.get("extract", {})
    if not isinstance(extract_raw, Mapping):
        raise _err(where, "[extract] must be a table")
    bad = sorted(set(extract_raw) - set(EXTRACT_KEYS))
    if bad:
        raise _err(where, f"unknown [extract] key(s) {', '.join(bad)}; known: {', '.join(EXTRACT_KEYS)}")
    extract = {}
    for key in EXTRACT_KEYS:
        sel = extract_raw.get(key, "")
        if not isinstance(sel, str):
            raise _err(where, f"extract.{key} must be a CSS selector string")
        extract[key] = sel
    health = raw.get("health", {})
    if not isinstance(health, Mapping):
        raise _err(where, "[health] must be a table")
    for key, value in health.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _err(where, f"health.{key} must be a number >= 0, not {value!r}")
    settings = validate_settings(raw.get("settings", {}), f"{where} [settings]")
    # A profile with no article rule has nothing site-specific to tell articles by: the spider then
    # uses the generic URL patterns and page-content test.
    generic = bool(raw.get("generic", not links["article"]))
    return {
        "name": name,
        "description": desc,
        "start_urls": start,
        "allowed_domains": domains,
        "links": links,
        "extract": extract,
        "health": dict(health),
        "settings": settings,
        "generic": generic,
    }


def read_profile_toml(path: Path) -> dict:
    """The TOML of a profile file, as it is (no validation, no ``{base}``): the one reader of
    profile files (``data/sites/*.toml``, the demo's ``site.toml``, any file given)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CrawlConfigError(f"{path}: profile file not found") from exc
    except OSError as exc:
        raise CrawlConfigError(f"{path}: cannot read profile ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CrawlConfigError(f"{path}: not valid TOML ({exc})") from exc


def substitute_base(value: Any, base: str, *, in_regex: bool = False) -> Any:
    """Replace ``{base}`` in every string of a profile.  In the ``[links]`` regexes the URL is
    inserted escaped (``re.escape``), so the dots and the colon of ``http://127.0.0.1:4312`` match
    only themselves."""
    if isinstance(value, str):
        return value.replace("{base}", re.escape(base) if in_regex else base)
    if isinstance(value, list):
        return [substitute_base(v, base, in_regex=in_regex) for v in value]
    if isinstance(value, dict):
        return {k: substitute_base(v, base, in_regex=in_regex or k == "links") for k, v in value.items()}
    return value


def profile_from_file(path: str | os.PathLike, base: str | None = None) -> dict:
    """Load and validate a profile file; ``{base}`` is replaced by ``base`` (a local server URL)."""
    path = Path(path)
    raw = read_profile_toml(path)
    if "{base}" in repr(raw):
        if not base:
            raise CrawlConfigError(
                f"{path}: the profile uses {{base}}; give the base URL of the server it describes"
            )
        raw = substitute_base(raw, base.rstrip("/"))
    return validate_profile(raw, str(path))


def _sites_dir() -> Path:
    """``$GUIDECRAWL_SITES_DIR``, else ``sites/`` of the data folder (``$GUIDECRAWL_DATA`` or the
    checkout's ``data/``), so a deployed egg (scrapyd) can be pointed at its profiles."""
    if os.environ.get("GUIDECRAWL_SITES_DIR"):
        return Path(os.environ["GUIDECRAWL_SITES_DIR"])
    return data_path("sites")


def list_profiles() -> list[dict]:
    """Every profile in the sites folder, sorted by name (an invalid file raises ``CrawlConfigError``)."""
    d = _sites_dir()
    if not d.is_dir():
        return []
    return sorted((profile_from_file(p) for p in d.glob("*.toml")), key=lambda p: p["name"])


def load_profile(name: str) -> dict:
    """The profile ``data/sites/<name>.toml``; an unknown name lists the known ones."""
    d = _sites_dir()
    path = d / f"{name}.toml"
    if not NAME_RE.match(name or "") or not path.is_file():
        known = ", ".join(sorted(p.stem for p in d.glob("*.toml"))) if d.is_dir() else ""
        demo = DEMO_ROOT / str(name) / "site.toml"
        if NAME_RE.match(name or "") and demo.is_file():
            raise CrawlConfigError(
                f"{name!r} is a demo site, crawled by `guidecrawl demo` (it serves it on 127.0.0.1); "
                f"profiles for --site are: {known or '(none)'} (see guidecrawl sites)"
            )
        raise CrawlConfigError(
            f"unknown site {name!r}; known sites: {known or '(none)'} (see guidecrawl sites)"
        )
    prof = profile_from_file(path)
    if prof["name"] != name:
        raise CrawlConfigError(
            f"{path}: name is {prof['name']!r} but the file is {name}.toml; make them agree"
        )
    return prof


def extract_profiles() -> dict[str, dict]:
    """``{site: {"name", "extract"}}`` of every profile a crawl may have used, for re-cleaning
    stored rows: the sites folder (``_sites_dir``: ``$GUIDECRAWL_SITES_DIR``, else ``sites/`` of the
    data root, as ``load_profile``), then the embedded demo sites' ``site.toml``; the first file
    naming a site wins.  Only the ``[extract]`` table reaches the cleaners, so it is all that is
    kept (read raw: a demo profile's ``{base}`` is never in it).  A file that cannot be read is
    skipped (the crawl that uses it reports it)."""
    d = _sites_dir()
    files = sorted(d.glob("*.toml")) if d.is_dir() else []
    files += sorted(DEMO_ROOT.glob("*/site.toml"))
    out: dict[str, dict] = {}
    for f in files:
        try:
            raw = read_profile_toml(f)
        except CrawlConfigError:
            continue
        name = str(raw.get("name") or f.stem)
        out.setdefault(name, {"name": name, "extract": dict(raw.get("extract") or {})})
    return out


def generic_profile(start_urls: Sequence[str]) -> dict:
    """A profile for a site never seen before: the generic URL patterns and content tests."""
    urls = [u for u in start_urls if u]
    if not urls:
        raise CrawlConfigError("a generic crawl needs at least one start URL")
    for u in urls:
        if not u.startswith(("http://", "https://")) or not urlsplit(u).hostname:
            raise CrawlConfigError(f"not an http(s) URL: {u!r}")
    host = urlsplit(urls[0]).hostname or "site"
    # an IPv6 host (::1) gives no letter or digit to start the name with
    name = ("ipv6_" if ":" in host else "") + re.sub(r"[^A-Za-z0-9_.-]", "_", host).strip("_")
    name = name[:64]
    return validate_profile(
        {
            "name": name,
            "description": "generic crawl",
            "start_urls": urls,
            "allowed_domains": [],  # the start URLs' origins only
            "generic": True,
        },
        "generic profile",
    )


def normalize_profiles(profiles: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Validated profiles from a list or a ``{name: profile}`` mapping (``serve_demo().profiles()``)."""
    if isinstance(profiles, Mapping):
        profiles = list(profiles.values())
    out = [validate_profile(p, f"profile {p.get('name', '?')!r}") for p in profiles]
    names = [p["name"] for p in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CrawlConfigError(f"site name(s) {', '.join(dup)} given twice in one crawl")
    return out


class Rules:
    """A profile's link rules, compiled once per crawl."""

    def __init__(self, profile: Mapping[str, Any]):
        links = profile["links"]
        generic = profile.get("generic", False)
        self.generic = generic

        def comp(pats: list[str]) -> re.Pattern | None:
            return re.compile("|".join(f"(?:{p})" for p in pats)) if pats else None

        self.article = comp(links["article"] or (GENERIC_ARTICLE if generic else []))
        self.listing = comp(links["listing"] or (GENERIC_LISTING if generic else []))
        self.next_page = comp(links["next_page"] + GENERIC_NEXT_PAGE)
        self.deny = comp(links["deny"] + GENERIC_DENY)
        # The crawl stays on its start URLs' origins -- scheme, host *and* port: several sites
        # can share a host (127.0.0.1) on different ports, and Scrapy's OffsiteMiddleware, which
        # matches host names only, cannot tell them apart.  The check lives here, in the link
        # filter every link, sitemap entry and robots.txt Sitemap: line goes through before it
        # becomes a request, because it must also say *which* site's rules a URL falls under.
        self.origins: set[str] = {origin(u) for u in profile["start_urls"]}
        self.domains: list[str] = []  # "example.com": it and its subdomains, default ports
        self.host_ports: set[tuple[str, int]] = set()  # "example.com:8080": that host and port
        for d in profile["allowed_domains"]:
            host, _, port = d.lower().lstrip(".").partition(":")
            if port:
                self.host_ports.add((host, int(port)))
            else:
                self.domains.append(host)

    def add_origin(self, url: str) -> None:
        """Own ``url``'s origin too (where a start URL redirected to: http -> https, www.)."""
        self.origins.add(origin(url))

    def owns(self, url: str) -> int:
        """2: the URL is on a start URL's origin; 1: on an allowed domain; 0: off the site."""
        o = origin(url)
        if o in self.origins:
            return 2
        if not (self.domains or self.host_ports):
            return 0
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
        except ValueError:
            return 0
        if (host, port) in self.host_ports:
            return 1
        if port != DEFAULT_PORTS.get(parts.scheme.lower()):
            return 0
        return int(any(host == d or host.endswith("." + d) for d in self.domains))

    def denied(self, url: str) -> bool:
        return bool(self.deny and self.deny.search(url))

    def is_article(self, url: str) -> bool:
        return bool(self.article and self.article.search(url))

    def is_listing(self, url: str) -> bool:
        return bool(self.listing and self.listing.search(url))

    def part_number(self, url: str) -> int | None:
        """The page number of a multi-page article part URL (``_2.html`` → 2), else None."""
        m = self.next_page.search(url) if self.next_page else None
        if not m:
            return None
        for g in m.groups():
            if g and g.isdigit():
                return int(g)
        return None
