"""Health checks after each crawl run: did the crawl still find what it used to find?

A content-farm site changes its layout without notice; the crawl then "succeeds" (exit 0, no
traceback) and quietly stores nothing, or stores navigation text as article bodies.  These checks
turn that into a failed run (CLI exit code 1) with a message that says what to look at.

Checks (thresholds from the site profile's ``[health]`` table over ``DEFAULT_THRESHOLDS``):

  min_articles          articles yielded by the run (cleaned + unchanged article pages)
  max_error_rate        error pages / fetched pages
  max_empty_body_share  article pages whose body is empty or shorter than ``min_body_chars``
  max_no_title_share    article pages with no title
  max_low_confidence_share  ok articles whose extraction confidence is under 0.5 (the extractor
                        was unsure the body is the article: a template it does not read well)
  max_yield_drop        articles below ``(1 - max_yield_drop) x median`` of the site's previous
                        runs (at least ``min_history`` of them) — the signature of a layout change

Run summary shape read by ``evaluate`` (a ``crawl_runs`` row or the stage's ``run`` record; the
counts may sit at the top level or under ``counts``)::

    {"run_id": str, "site": str, "status": str,
     "counts": {"pages": int, "articles": int, "unchanged_articles": int, "errors": int,
                "empty_body": int, "no_title": int, "low_confidence": int},
     "drops": {reason: int}}

``pages`` is every fetched URL; ``articles`` the articles cleaned in this run; ``unchanged_articles``
article pages skipped by the incremental crawl (they still count as yield, or the second run of
an unchanged site would look like a collapse); ``empty_body`` / ``no_title`` are counted over the
cleaned articles.

Stored shape (the ``health`` column of ``crawl_runs``, a JSON list): ``[HealthFailure.to_dict()]``,
empty when the run is healthy.  CLI exit codes: ``EXIT_OK`` 0, ``EXIT_HEALTH`` 1, ``EXIT_USAGE`` 2.

spidermon could run checks like these inside the Scrapy process, but our runs are split over
several workers and only the loaded store sees the whole run and the site's history, so the checks
are plain functions over the store instead.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

EXIT_OK = 0
EXIT_HEALTH = 1
EXIT_USAGE = 2

DEFAULT_THRESHOLDS: dict[str, float] = {
    "min_articles": 1,
    "max_error_rate": 0.2,
    "max_empty_body_share": 0.2,
    "max_no_title_share": 0.2,
    "max_low_confidence_share": 0.3,
    "max_yield_drop": 0.5,
    # Not in the profile format's example but accepted there too:
    "min_body_chars": 50,  # a body shorter than this counts as empty (a stub or a nav fragment)
    "min_history": 3,  # previous runs needed before the yield-drop check means anything
}


@dataclass(frozen=True, slots=True)
class HealthFailure:
    check: str  # the threshold's name: min_articles, max_error_rate, ...
    value: float  # what the run measured
    threshold: float  # the limit it crossed
    message: str  # what happened and what to look at, in plain words

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


def thresholds_for(profile: Mapping[str, Any] | None, overrides: Mapping[str, Any] | None = None) -> dict:
    """Defaults, then the settings' ``HEALTH_THRESHOLDS`` (if any), then the profile's ``[health]``.

    Unknown keys are refused so that a typo in a profile (``max_error_rat``) does not silently
    turn a check off.
    """
    from pipelines.errors import UserError

    out = dict(DEFAULT_THRESHOLDS)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    try:
        from crawler import settings as crawl_settings  # defaults may live with the other settings

        layers.append(
            ("crawler/settings.py HEALTH_THRESHOLDS", getattr(crawl_settings, "HEALTH_THRESHOLDS", {}))
        )
    except ImportError:
        pass
    if profile:
        name = profile.get("name", "?")
        layers.append((f"the [health] table of site profile {name!r}", profile.get("health") or {}))
    if overrides:
        layers.append(("health overrides", overrides))
    for where, layer in layers:
        for key, value in layer.items():
            if key not in DEFAULT_THRESHOLDS:
                known = ", ".join(DEFAULT_THRESHOLDS)
                raise UserError(f"unknown health threshold {key!r} in {where}; known: {known}")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise UserError(f"health threshold {key} in {where} must be a number >= 0, not {value!r}")
            out[key] = float(value)
    return out


def _counts(run: Mapping[str, Any]) -> dict[str, int]:
    c = run.get("counts")
    if isinstance(c, str):
        c = json.loads(c)
    src = c if isinstance(c, Mapping) else run
    keys = ("pages", "articles", "unchanged_articles", "errors", "empty_body", "no_title", "low_confidence")
    return {k: int(src.get(k) or 0) for k in keys}


def yield_of(run: Mapping[str, Any]) -> int:
    """Articles a run reached: cleaned now, or unchanged since the last run."""
    c = _counts(run)
    return c["articles"] + c["unchanged_articles"]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _top_drops(run: Mapping[str, Any], n: int = 3) -> str:
    drops = run.get("drops") or {}
    if isinstance(drops, str):
        drops = json.loads(drops)
    top = sorted(((int(v), k) for k, v in drops.items() if v), reverse=True)[:n]
    return ", ".join(f"{k} ({v})" for v, k in top)


# Drop reasons that mean the site (or the network) failed, not our rules: what to call them.
FETCH_FAILURES = {
    "connection_refused": "connection refused",
    "connection": "connection lost",
    "timeout": "timed out",
    "dns": "host name not found (DNS)",
    "redirect_loop": "redirect loop",
    "too_large": "page too large (DOWNLOAD_MAXSIZE)",
    "decompressed_too_large": "page too large once decompressed (DOWNLOAD_MAXSIZE)",
    "truncated": "page cut short by the server",
    "robots_disallowed": "disallowed by robots.txt",
}


def _failure_name(reason: str) -> str | None:
    """Plain words for a drop reason that is a fetch failure (``http_500`` → ``HTTP 500``), else None."""
    if reason in FETCH_FAILURES:
        return FETCH_FAILURES[reason]
    if reason.startswith("http_") and reason[5:].isdigit():
        code = int(reason[5:])
        if code >= 500:
            return f"server error HTTP {code}"
        if code in (401, 403, 429):
            return f"refused by the site (HTTP {code})"
        if code in (404, 410):
            return f"not found (HTTP {code})"
    if reason not in ("non_html", "bad_sitemap", "not_modified", "ignored") and reason.endswith("error"):
        return reason.replace("_", " ")  # another network error by its Twisted name
    return None


def fetch_failures(run: Mapping[str, Any]) -> tuple[int, str]:
    """(pages that failed to fetch, "connection refused on 12 of 12 pages, ...") of a run."""
    drops = run.get("drops") or {}
    if isinstance(drops, str):
        drops = json.loads(drops)
    pages = _counts(run)["pages"]
    named = sorted(
        ((int(n), _failure_name(r)) for r, n in drops.items() if n and _failure_name(r)), reverse=True
    )
    total = sum(n for n, _ in named)
    return total, ", ".join(f"{name} on {n} of {pages} pages" for n, name in named)


def evaluate(
    run: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    thresholds: Mapping[str, float],
    *,
    generic: bool = False,
) -> list[HealthFailure]:
    """The health failures of ``run`` (empty list: healthy).  Pure: no I/O.

    ``history`` is the same site's previous runs (any order; runs with no pages at all — aborted
    before fetching anything — are ignored for the median).  ``generic``: the site has no profile
    (the crawl used the generic rules), so the advice is to write one rather than to fix it.
    """
    t = {**DEFAULT_THRESHOLDS, **thresholds}
    c = _counts(run)
    site = run.get("site") or "?"
    profile_hint = f"data/sites/{site}.toml"
    if generic:
        profile_hint = (
            f"the generic rules this crawl used; write a site profile {profile_hint} with [links] and "
            f"[extract] rules for this site"
        )
    got = yield_of(run)
    out: list[HealthFailure] = []

    if got < t["min_articles"]:
        failed, how = fetch_failures(run)
        if c["pages"] == 0:
            what = (
                "no page was fetched at all: check that the start URLs still answer "
                "(and robots.txt still allows them) and that the network is up"
            )
        elif failed * 2 >= c["pages"]:
            # Most pages never arrived: the site or the network failed, not the [links] rule.
            what = (
                f"the site did not answer: {how}; check that it is up, that the start URLs are "
                f"right and that it is not blocking us, then run the crawl again"
            )
        else:
            what = (
                f"{c['pages']} pages were fetched but they gave {got} articles: the article link rule "
                f"in [links] probably no longer matches the site's URLs; open a listing page and "
                f"compare its article links with {profile_hint}"
            )
        out.append(
            HealthFailure(
                "min_articles",
                got,
                t["min_articles"],
                f"only {got} articles (minimum {t['min_articles']:g}); {what}",
            )
        )

    if c["pages"]:
        rate = c["errors"] / c["pages"]
        if rate > t["max_error_rate"]:
            top = _top_drops(run)
            out.append(
                HealthFailure(
                    "max_error_rate",
                    round(rate, 4),
                    t["max_error_rate"],
                    f"{c['errors']} of {c['pages']} pages failed ({_pct(rate)}, limit {_pct(t['max_error_rate'])})"
                    + (f"; most common reasons: {top}" if top else "")
                    + "; check that the site is up and not blocking us (403/429 mean slow down: "
                    "lower the concurrency or raise the download delay)",
                )
            )

    cleaned = c["articles"]
    # each share of the cleaned articles that went wrong in one way, its limit, and what to check
    shares = [
        (
            "max_empty_body_share",
            "empty_body",
            "have an empty or very short body (under {min_body:g} characters; {share}, limit {limit}): "
            "the body selector probably no longer matches the page layout, or the article rule catches "
            "listing pages; open a recent article page and check [extract] body in {hint}",
        ),
        (
            "max_no_title_share",
            "no_title",
            "have no title ({share}, limit {limit}): the title selector probably no longer matches; "
            "open a recent article page and check [extract] title in {hint}",
        ),
        (
            "max_low_confidence_share",
            "low_confidence",
            "were extracted with low confidence ({share}, limit {limit}): the extractor could not tell "
            "the article from other blocks of the page; see the articles' reason column (SELECT url, "
            "reason FROM articles WHERE confidence < 0.5) and set [extract] body in {hint}",
        ),
    ]
    for name, key, what in shares if cleaned else []:
        share = c[key] / cleaned
        if share > t[name]:
            msg = what.format(
                min_body=t["min_body_chars"], share=_pct(share), limit=_pct(t[name]), hint=profile_hint
            )
            out.append(HealthFailure(name, round(share, 4), t[name], f"{c[key]} of {cleaned} articles {msg}"))

    previous = [yield_of(h) for h in history if _counts(h)["pages"] > 0]
    if len(previous) >= t["min_history"]:
        median = statistics.median(previous)
        floor = (1 - t["max_yield_drop"]) * median
        if median > 0 and got < floor:
            out.append(
                HealthFailure(
                    "max_yield_drop",
                    got,
                    round(floor, 2),
                    f"articles fell from a median of {median:g} over the last {len(previous)} runs to {got} "
                    f"(below {floor:g}, {_pct(1 - t['max_yield_drop'])} of the median): the article link rule "
                    f"or the body selector probably no longer matches the site's layout; open a recent "
                    f"article page and check {profile_hint}",
                )
            )
    return out


def exit_code(failures: Sequence[HealthFailure]) -> int:
    """The CLI's exit code for a finished run: 0 healthy, 1 at least one health failure."""
    return EXIT_HEALTH if failures else EXIT_OK


def to_json(failures: Sequence[HealthFailure]) -> str:
    """The value stored in ``crawl_runs.health``."""
    return json.dumps([f.to_dict() for f in failures], ensure_ascii=False)


def from_json(value: str | list | None) -> list[HealthFailure]:
    if not value:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [HealthFailure(**d) for d in items]


def _profile_for(site: str) -> dict | None:
    """The site's profile if it has one (a generic crawl's site has none: defaults apply)."""
    from crawler.profiles import load_profile
    from pipelines.errors import USER_ERRORS

    try:
        return load_profile(site)
    except USER_ERRORS:  # no such profile (a generic crawl's host name), or one that no longer loads
        return None


def _row_dicts(cur: Any) -> list[dict]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def check_run(
    db_path: Any,
    run_id: str,
    thresholds: Mapping[str, float] | None = None,
    *,
    history_size: int = 10,
    wait: float = 30,
) -> list[HealthFailure]:
    """Evaluate a loaded run against its site's previous runs in the store (read-only).

    ``thresholds`` default to ``thresholds_for(<the site's profile>)``.  History: the same site's
    up to ``history_size`` previous runs that finished (``status`` not failed), newest first,
    leaving out Redis workers' runs (``args.redis`` true), each of which holds only a share.
    Raises ``UserError`` (exit 2) when the run is not in the store.
    """
    from pipelines.errors import UserError
    from pipelines.store import connect_readonly

    con = connect_readonly(db_path, wait=wait)
    try:
        rows = _row_dicts(con.execute("SELECT * FROM crawl_runs WHERE run_id = ?", [run_id]))
        if not rows:
            raise UserError(
                f"no run {run_id!r} in {db_path}; list runs with: guidecrawl sql 'FROM crawl_runs'"
            )
        run = rows[0]
        history = _row_dicts(
            con.execute(
                """SELECT * FROM crawl_runs
                   WHERE site IS NOT DISTINCT FROM ? AND run_id <> ?
                     AND coalesce(status, '') NOT IN ('failed', 'incomplete')
                     -- a Redis worker's run is only its share of a crawl: not a yield baseline
                     AND coalesce(json_extract_string(args, '$.redis'), '') IN ('', 'false', 'null')
                     AND (started_at < ? OR ? IS NULL)
                   ORDER BY started_at DESC LIMIT ?""",
                [run["site"], run_id, run["started_at"], run["started_at"], history_size],
            )
        )
    finally:
        con.close()
    profile = _profile_for(run["site"]) if run["site"] else None
    if thresholds is None:
        thresholds = thresholds_for(profile)
    return evaluate(run, history, thresholds, generic=profile is None)


def record(db_path: Any, run_id: str, failures: Sequence[HealthFailure], *, wait: float = 600) -> None:
    """Store ``failures`` in ``crawl_runs.health`` of ``run_id`` (the one writer's connection)."""
    from pipelines.store import connect_rw

    con = connect_rw(db_path, wait=wait)
    try:
        con.execute("UPDATE crawl_runs SET health = ? WHERE run_id = ?", [to_json(failures), run_id])
    finally:
        con.close()
