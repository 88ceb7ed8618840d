"""Crawl benchmark: the full pipeline against a bare Scrapy spider, same site, same run.

    .venv/bin/python bench/crawl.py [--pages 5000] [--workers N] [--peer]
    .venv/bin/python bench/crawl.py --real [--shared ../shared] [--limit N]

Generates a local content-farm site (listing pages of 50 links, article pages modelled on the
seed page: 来源/时间 line, outline, 精彩评论, 版权 block, 大家还看了 and 编辑推荐 link blocks,
every 50th article over two pages), serves it from memory with the tests' server
(``tests/mockserver.py``, keep-alive) in a separate process, then runs

  bare   a Scrapy spider that only fetches and follows links (same politeness settings), and
  full   ``run_crawl``: crawl + clean in worker processes + stage files + load into DuckDB,

each in its own process, one after the other.  It prints pages/s of both (wall time of the whole
job, process start to exit, so the full run pays for its cleaner start-up and its DuckDB load),
the ratio full/bare (target >= 0.8) and the peak memory of each job counting all its processes
(target < 300 MB, judged on PSS), sampled from /proc every 100 ms (RSS and PSS; see ``Sampler``).
For the full run it also breaks memory and CPU down by process (crawler, fork server, cleaning
workers) and the peak by phase (start-up, crawl, DuckDB load).  ``--full-only`` skips the bare
spider for a quicker look at the full run alone.

``--real`` serves real pages instead: every page of ../shared/pages and ../shared/pages-more once,
as ``/a/N.html`` behind 50-link listings, its own hrefs neutralised (renamed) and its bytes
otherwise untouched (real weights, real encodings, no charset in the Content-Type), and adds a
third job, ``peer``: what a user would write instead, Scrapy with ``trafilatura.extract`` in the
callback and a JSONL feed.  Targets there: full >= 0.5x bare and >= 3x the peer.

Size: over 500 lines, one benchmark script: the generated site, its server, the three jobs
and their measurement belong to one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.mockserver import ServerProcess  # noqa: E402 - after the path is set

LINKS_PER_LISTING = 50

SENTENCES = [
    "京东是京东金融推出的一款消费信贷产品,它为客户提供了一种便捷的支付形式。",
    "当客户未能按期偿还账单时,可能将会造成账户被冻结。",
    "这类情况不仅作用使用者的购物体验,还可能对个人信用记录产生一定的负面作用。",
    "客户只需保障还款金额准确无误,并耐心等待应对。",
    "解冻完成后,客户可以通过京东金融APP查看账户的状态,保证一切恢复正常。",
    "信用卡逾期三个月,在银行内部常常被称为M3阶段。",
    "协商还款时要准备好收入证明、困难证明等材料,并保持通话录音。",
    "网贷逾期一天就可能上报征信,建议尽快还清欠款并保留凭证。",
    "如果对催收方式有异议,可以向银保监会或互联网金融协会投诉。",
    "个性化分期最长可以申请60期,但需要与银行客服多次沟通。",
    "手机充电慢的原因有很多,常见的是充电线老化或者充电口积灰。",
    "出门旅行前要检查证件的有效期,并提前预订好住宿和交通。",
]
OUTLINE = ["一、", "二、", "三、", "四、"]


def article_html(n: int, rng: random.Random, n_articles: int, part: int = 1, parts: int = 1) -> str:
    title = f"第{n}篇:{rng.choice(['京东逾期解冻全攻略', '信用卡协商还款技巧', '网贷逾期后果解析', '手机使用常见问题'])}"
    body = []
    for i, head in enumerate(OUTLINE):
        body.append(f"<p>{head}{rng.choice(['概述', '主要原因', '处理步骤', '注意事项'])}</p>")
        for j in range(3):
            body.append(f"<p>{j + 1}. " + "".join(rng.choice(SENTENCES) for _ in range(3)) + "</p>")
        if i == 1:
            body.append("<p>(一)自动解冻</p><p>- " + rng.choice(SENTENCES) + "</p>")
    related = "".join(
        f'<li><a href="/consult/{m % 7}/{m}.html">{rng.choice(SENTENCES)[:16]}</a></li>'
        for m in (rng.randrange(1, n_articles + 1) for _ in range(10))
    )
    comments = "".join(
        f'<div class="pl-item"><span class="tx">头像</span> 用户{rng.randrange(9999)}-网友 2025-04-2{k} 10:0{k}'
        f"<p>{rng.choice(SENTENCES)}</p></div>"
        for k in range(3)
    )
    pager = ""
    if parts > 1:
        nxt = f'<a href="/consult/{n % 7}/{n}_{part + 1}.html">下一页</a>' if part < parts else ""
        pager = (
            f'<div class="pages"><a href="/consult/{n % 7}/{n}.html">第1页</a>'
            f'<a href="/consult/{n % 7}/{n}_2.html">2</a>{nxt}</div>'
        )
    nav = "".join(f'<a href="/consult/list_{k}.html">栏目{k}</a> ' for k in range(1, 8))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}_关仙网</title><meta name='keywords' content='逾期,协商'>"
        '<link rel="stylesheet" href="/static/style.css"></head><body>'
        f'<div class="top"><a class="logo" href="/">关仙网</a><div class="nav">{nav}</div></div>'
        f'<div class="wrap main"><div class="article"><h1>{title}</h1>'
        f'<div class="info">来源:逾期-合作伙伴 时间:2025-04-26 14:25:{n % 60:02d}</div>'
        f'<div class="content"><p>{title}</p>{"".join(body)}</div>{pager}'
        '<div class="copyright">版权与免责声明:本文内容来自网络,如有侵权请联系删除。</div></div>'
        f'<div class="pinglun"><h3>精彩评论</h3>{comments}</div>'
        f'<div class="xgwz"><h3>大家还看了</h3><ul>{related}</ul></div>'
        f'<div class="tuijian"><h3>编辑推荐</h3><ul>{related[:800]}</ul></div></div>'
        '<div class="footer">Copyright 关仙网 粤ICP备00000000号</div></body></html>'
    )


def listing_html(
    k: int,
    n_listings: int,
    links: list[int],
    article_href: str = "/consult/{m}/{n}.html",
    list_href: str = "/consult/list_{k}.html",
) -> str:
    items = "".join(
        f'<li><a href="{article_href.format(m=n % 7, n=n)}" class="t">第{n}篇文章的标题</a><p>摘要……</p></li>'
        for n in links
    )
    pager = "".join(
        f'<a href="{list_href.format(k=j)}">{j}</a>' for j in range(max(1, k - 3), min(n_listings, k + 3) + 1)
    )
    if k < n_listings:
        pager += f'<a href="{list_href.format(k=k + 1)}">下一页</a>'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>最新资讯 第{k}页_关仙网</title></head>'
        f'<body><div class="list"><h2>最新资讯 第{k}页</h2><ul>{items}</ul></div><div class="pages">{pager}</div></body></html>'
    )


def generate(root: Path, pages: int, seed: int = 7) -> dict:
    """Write the site into ``root``; returns counts.  ``pages`` = listings + article pages."""
    rng = random.Random(seed)
    n_listings = max(1, pages // (LINKS_PER_LISTING + 1))
    # every 50th article has a second page
    n_articles = (pages - n_listings) * 50 // 51
    files: dict[str, str] = {}
    for n in range(1, n_articles + 1):
        parts = 2 if n % 50 == 0 else 1
        files[f"consult/{n % 7}/{n}.html"] = article_html(n, rng, n_articles, 1, parts)
        if parts == 2:
            files[f"consult/{n % 7}/{n}_2.html"] = article_html(n, rng, n_articles, 2, parts)
    ids = list(range(1, n_articles + 1))
    for k in range(1, n_listings + 1):
        chunk = ids[(k - 1) * LINKS_PER_LISTING : k * LINKS_PER_LISTING]
        if k == n_listings:
            chunk = ids[(k - 1) * LINKS_PER_LISTING :]
        files[f"consult/list_{k}.html"] = listing_html(k, n_listings, chunk)
    files["index.html"] = listing_html(0, n_listings, ids[:LINKS_PER_LISTING]).replace("第0页", "首页")
    files["robots.txt"] = "User-agent: *\nDisallow: /static/\n"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    n_html = sum(1 for f in files if f.endswith(".html"))
    size = sum(len(t.encode()) for t in files.values())
    return {"html_pages": n_html, "articles": n_articles, "listings": n_listings + 1, "bytes": size}


# Any href (and a <base href>) in a real page points at its own site: the attribute is renamed
# (``data-gc-href="#"``), the page's bytes otherwise untouched, so no spider finds a link in it and
# the crawl reaches each page exactly once, through the listings.  (Rewriting it to "#" instead
# would leave every spider hundreds of links per page to turn into requests and drop as duplicates,
# which costs the bare spider more than fetching.)
HREF_RE = re.compile(rb"""(?i)\bhref\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""")


def real_pages(shared: Path) -> list[bytes]:
    """The raw bytes of every page of ``shared/pages`` and ``shared/pages-more`` (each once)."""
    out: list[bytes] = []
    for sub in ("pages", "pages-more"):
        manifest = shared / sub / "manifest.jsonl"
        if not manifest.exists():
            raise SystemExit(f"no {manifest}: pass --shared PATH (the folder holding pages/ and pages-more/)")
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((shared / sub / json.loads(line)["html"]).read_bytes())
    return out


def generate_real(root: Path, shared: Path, limit: int = 0) -> dict:
    """A site of real pages: each served once as ``/a/N.html``, reached through 50-link listings."""
    pages = real_pages(shared)
    if limit:
        pages = pages[:limit]
    files: dict[str, bytes] = {}
    for n, raw in enumerate(pages, 1):
        files[f"a/{n}.html"] = HREF_RE.sub(b'data-gc-href="#"', raw)
    ids = list(range(1, len(pages) + 1))
    n_listings = max(1, -(-len(ids) // LINKS_PER_LISTING))
    hrefs = {"article_href": "/a/{n}.html", "list_href": "/list_{k}.html"}
    for k in range(1, n_listings + 1):
        chunk = ids[(k - 1) * LINKS_PER_LISTING : k * LINKS_PER_LISTING]
        files[f"list_{k}.html"] = listing_html(k, n_listings, chunk, **hrefs).encode()
    files["index.html"] = (
        listing_html(0, n_listings, ids[:LINKS_PER_LISTING], **hrefs).replace("第0页", "首页").encode()
    )
    files["robots.txt"] = b"User-agent: *\nDisallow: /static/\n"
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return {
        "html_pages": sum(1 for f in files if f.endswith(".html")),
        "articles": len(pages),
        "listings": n_listings + 1,
        "bytes": sum(len(v) for v in files.values()),
        "article_kb": sum(len(v) for k, v in files.items() if k.startswith("a/")) / max(1, len(pages)) / 1024,
    }


# --------------------------------------------------------------------------- the bare spider
def bare(url: str, out: Path, settings: dict) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = [url]

        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, callback=self.parse)

    process = CrawlerProcess({**settings, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    t = os.times()
    cpu0 = t.user + t.system
    t0 = time.monotonic()
    process.start()
    elapsed = time.monotonic() - t0
    t = os.times()
    pages = crawler.stats.get_value("response_received_count", 0)
    out.write_text(json.dumps({"pages": pages, "crawl_s": elapsed, "crawl_cpu_s": t.user + t.system - cpu0}))


def peer(url: str, out: Path, settings: dict) -> None:
    """What a user would write instead of guidecrawl: Scrapy with trafilatura in the callback.

    Listing pages are followed as by the bare spider; every page that is not a listing is
    extracted with ``trafilatura.extract(favor_precision=True)`` and the text written to a
    JSONL feed (Scrapy's own feed exporter), so the peer stores its articles too.
    """
    import scrapy
    import trafilatura
    from scrapy.crawler import CrawlerProcess

    class Peer(scrapy.Spider):
        name = "peer"
        start_urls = [url]

        def parse(self, response):
            path = response.url.split("/", 3)[-1]
            if path.startswith("a/"):
                text = trafilatura.extract(response.text, url=response.url, favor_precision=True)
                yield {"url": response.url, "text": text or ""}
                return
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, callback=self.parse)

    feed = out.with_suffix(".jsonl")
    process = CrawlerProcess(
        {
            **settings,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "FEEDS": {str(feed): {"format": "jsonlines", "encoding": "utf8"}},
        }
    )
    crawler = process.create_crawler(Peer)
    process.crawl(crawler)
    t0 = time.monotonic()
    process.start()
    elapsed = time.monotonic() - t0
    pages = crawler.stats.get_value("response_received_count", 0)
    items = crawler.stats.get_value("item_scraped_count", 0)
    out.write_text(json.dumps({"pages": pages, "crawl_s": elapsed, "items": items}))


# --------------------------------------------------------------------------- measuring
ROLES = ("crawler", "fork server", "cleaning workers", "other")


class Sampler:
    """Samples RSS, PSS and CPU of a process tree from /proc, per process and per role.

    RSS counts a page shared by two processes twice (the fork server's children share its pages,
    and every cleaner maps the same language-model tables from the page cache); PSS splits shared
    pages between their users, so its sum is the memory the job really holds.  The memory target
    is judged on PSS.  CPU time is read here too because the cleaning processes are grandchildren
    that nobody waits for, so ``getrusage(RUSAGE_CHILDREN)`` would not see them.

    Roles: ``crawler`` is the process started, ``fork server`` multiprocessing's fork server,
    ``cleaning workers`` its children, ``other`` the rest (multiprocessing's resource tracker).
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.t0 = time.monotonic()
        self.cpu: dict[int, float] = {}
        self.role_of: dict[int, str] = {}
        self.cpu_role: dict[int, str] = {}
        # (seconds since start, {role: (rss, pss)}) per sample
        self.timeline: list[tuple[float, dict[str, tuple[int, int]]]] = []

    @staticmethod
    def _children(p: int) -> list[int]:
        # /proc/<pid>/task/<tid>/children: cheap, unlike scanning all of /proc every sample
        out: list[int] = []
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    out.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
        return out

    def _role(self, p: int, parent_role: str | None) -> str:
        role = self.role_of.get(p)
        if role is None:
            if parent_role is None:
                role = "crawler"
            elif parent_role == "fork server":
                role = "cleaning workers"
            else:
                try:
                    with open(f"/proc/{p}/cmdline", "rb") as fh:
                        cmd = fh.read()
                except OSError:
                    cmd = b""
                role = "fork server" if b"forkserver" in cmd else "other"
            self.role_of[p] = role
        return role

    def sample(self) -> tuple[int, int]:
        """One sample of the tree; returns its total (RSS, PSS) in bytes."""
        by_role: dict[str, list[int]] = {}
        todo: list[tuple[int, str | None]] = [(self.pid, None)]
        while todo:
            p, parent_role = todo.pop()
            role = self._role(p, parent_role)
            rss = pss = 0
            try:
                with open(f"/proc/{p}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Rss:"):
                            rss = int(line.split()[1]) * 1024
                        elif line.startswith("Pss:"):
                            pss = int(line.split()[1]) * 1024
                with open(f"/proc/{p}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                self.cpu[p] = max(self.cpu.get(p, 0.0), (int(fields[11]) + int(fields[12])) / self.tick)
                self.cpu_role[p] = role
            except (OSError, IndexError, ValueError):
                pass
            acc = by_role.setdefault(role, [0, 0])
            acc[0] += rss
            acc[1] += pss
            todo.extend((c, role) for c in self._children(p))
        self.timeline.append((time.monotonic() - self.t0, {r: (v[0], v[1]) for r, v in by_role.items()}))
        return sum(v[0] for v in by_role.values()), sum(v[1] for v in by_role.values())

    # ------------------------------------------------------------------ summaries
    def peak(self) -> tuple[int, int]:
        rss = max((sum(v[0] for v in d.values()) for _, d in self.timeline), default=0)
        pss = max((sum(v[1] for v in d.values()) for _, d in self.timeline), default=0)
        return rss, pss

    def cpu_total(self) -> float:
        return sum(self.cpu.values())

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for p, s in self.cpu.items():
            out[self.cpu_role[p]] = out.get(self.cpu_role[p], 0.0) + s
        return out

    def role_peaks(self) -> dict[str, tuple[int, int]]:
        """Each role's own peak (RSS, PSS) over the run (peaks of different roles may not coincide)."""
        out: dict[str, tuple[int, int]] = {}
        for _, d in self.timeline:
            for r, (rss, pss) in d.items():
                o = out.get(r, (0, 0))
                out[r] = (max(o[0], rss), max(o[1], pss))
        return out

    def at_peak(self) -> tuple[float, dict[str, tuple[int, int]]]:
        """The sample with the highest total PSS: when it was and what each role held then."""
        if not self.timeline:
            return 0.0, {}
        return max(self.timeline, key=lambda s: sum(v[1] for v in s[1].values()))

    def windows(self, edges: list[tuple[str, float, float]]) -> list[tuple[str, int, int]]:
        """Peak total (RSS, PSS) inside each named time window ``(name, start s, end s)``."""
        out = []
        for name, a, b in edges:
            inside = [d for t, d in self.timeline if a <= t < b]
            rss = max((sum(v[0] for v in d.values()) for d in inside), default=0)
            pss = max((sum(v[1] for v in d.values()) for d in inside), default=0)
            out.append((name, rss, pss))
        return out


def run_measured(
    cmd: list[str], stdin: str | None = None
) -> tuple[float, Sampler, subprocess.CompletedProcess]:
    """Run ``cmd`` and sample its process tree every 100 ms; wall s, the sampler, the result."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    sampler = Sampler(proc.pid)
    sampler.t0 = t0
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            sampler.sample()
            stop.wait(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate(stdin)
    wall = time.monotonic() - t0
    stop.set()
    t.join()
    # CPU up to the last sample (at most 0.1 s of it is missed per process)
    return wall, sampler, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


BENCH_SETTINGS = {
    # the same for both spiders: polite defaults off (a local server), robots.txt obeyed
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "COOKIES_ENABLED": False,
    "USER_AGENT": "guidecrawl-bench",
}


def memory_report(sampler: Sampler, wall: float, summary: dict) -> None:
    """Per-role peaks, the moment of the overall peak, and the peak of each phase of the full run."""
    mb = 2**20
    peaks = sampler.role_peaks()
    cpu = sampler.cpu_by_role()
    t_peak, at = sampler.at_peak()
    print()
    print(f"full run by process (peaks of each; at the overall PSS peak, t = {t_peak:.1f} s):")
    print(f"  {'process':<22}{'peak RSS MB':>12}{'peak PSS MB':>12}{'at peak PSS':>12}{'CPU s':>8}")
    for role in ROLES:
        if role not in peaks:
            continue
        rss, pss = peaks[role]
        print(
            f"  {role:<22}{rss / mb:>12.0f}{pss / mb:>12.0f}{at.get(role, (0, 0))[1] / mb:>12.0f}"
            f"{cpu.get(role, 0.0):>8.1f}"
        )
    # Phases from the run's own timings: start-up (imports, cleaner tables), crawl, load, exit.
    load_s = float(summary.get("load_s") or 0.0)
    crawl_s = float(summary.get("elapsed") or 0.0)
    exit_s = float(summary.get("exit_s") or 0.0)
    load_end = wall - exit_s
    load_start = load_end - load_s
    crawl_start = load_start - crawl_s
    edges = [
        ("start-up", 0.0, crawl_start),
        ("crawl (first half)", crawl_start, crawl_start + crawl_s / 2),
        ("crawl (second half)", crawl_start + crawl_s / 2, load_start),
        ("load into DuckDB", load_start, wall + 1),
    ]
    print("full run by phase (peak of all processes):")
    for name, rss, pss in sampler.windows(edges):
        a, b = next((a, b) for n, a, b in edges if n == name)
        print(
            f"  {name:<22}{a:>6.1f}-{min(b, wall):>5.1f} s  RSS {rss / mb:>5.0f} MB  PSS {pss / mb:>5.0f} MB"
        )


def spider_job(kind: str, base: str, work: Path) -> tuple[float, Sampler, dict] | None:
    """Run the ``bare`` or ``peer`` spider in its own process; wall s, its sampler, its summary."""
    out = work / f"{kind}.json"
    out.unlink(missing_ok=True)
    wall, sampler, cp = run_measured([sys.executable, __file__, f"--{kind}", base + "/", str(out)])
    if cp.returncode:
        print(cp.stderr[-3000:], file=sys.stderr)
        return None
    return wall, sampler, json.loads(out.read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=5000, help="pages in the generated site (default 5000)")
    ap.add_argument(
        "--real",
        action="store_true",
        help="a site of real pages (../shared/pages and pages-more, each served once) instead of the generated one",
    )
    ap.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="folder holding pages/ and pages-more/ (with --real; default ../shared)",
    )
    ap.add_argument("--limit", type=int, default=0, help="with --real: serve only the first N pages")
    ap.add_argument(
        "--peer",
        action="store_true",
        help="also run the Scrapy + trafilatura peer (always on with --real)",
    )
    ap.add_argument("--workers", type=int, default=0, help="cleaning processes (default: as run_crawl picks)")
    ap.add_argument("--keep", type=Path, help="keep the site, stage and database in this folder")
    ap.add_argument(
        "--full-only", action="store_true", help="skip the bare spider (no ratio; for quick memory checks)"
    )
    ap.add_argument("--bare", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--peer-job", nargs=2, dest="peer_job", metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare(args.bare[0], Path(args.bare[1]), BENCH_SETTINGS)
        return 0
    if args.peer_job:
        peer(args.peer_job[0], Path(args.peer_job[1]), BENCH_SETTINGS)
        return 0

    from pipelines.run.crawl import CrawlOptions

    work = args.keep or Path(tempfile.mkdtemp(prefix="guidecrawl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    site_dir = work / "site"
    shutil.rmtree(site_dir, ignore_errors=True)
    t = time.monotonic()
    if args.real:
        info = generate_real(site_dir, args.shared, args.limit)
        weight = f", {info['article_kb']:.0f} KB per article page"
    else:
        info = generate(site_dir, args.pages)
        weight = ""
    print(
        f"site: {info['html_pages']} pages ({info['articles']} articles, {info['listings']} listings), "
        f"{info['bytes'] / 1e6:.1f} MB{weight}, generated in {time.monotonic() - t:.1f} s"
    )
    server = ServerProcess(site_dir, keep_alive=True)  # its own process: its CPU is not the crawler's
    spiders: dict[str, tuple[float, Sampler, dict]] = {}
    try:
        base = server.url

        kinds = [] if args.full_only else ["bare"]
        if args.real or args.peer:
            kinds.append("peer-job")
        for kind in kinds:
            res = spider_job(kind, base, work)
            if res is None:
                return 1
            spiders[kind] = res

        db = work / "bench.duckdb"
        db.unlink(missing_ok=True)
        shutil.rmtree(work / "stage", ignore_errors=True)
        opts = CrawlOptions(
            start_urls=[base + "/"],
            stage_dir=work / "stage",
            db=db,
            quiet=True,
            settings=BENCH_SETTINGS,
            clean_workers=args.workers,
        )
        wall_f, sf, cp = run_measured([sys.executable, "-m", "pipelines.run.crawl"], opts.to_json())
        if cp.returncode:
            print(cp.stderr[-3000:], file=sys.stderr)
            return 1
        f = json.loads([ln for ln in cp.stdout.splitlines() if ln.startswith("{")][-1])
    finally:
        server.stop()

    pages_f = f["pages_fetched"]
    rate_f = pages_f / wall_f
    load = f.get("load") or {}
    print()
    mb = 2**20
    print(
        f"{'job':<40}{'pages':>7}{'wall s':>8}{'crawl s':>9}{'pages/s':>9}{'CPU s':>8}{'CPU ms/page':>12}"
        f"{'peak RSS MB':>13}{'peak PSS MB':>13}"
    )
    names = {"bare": "bare Scrapy spider (fetch+follow)", "peer-job": "Scrapy + trafilatura in the callback"}
    rows = []
    rates: dict[str, float] = {}
    for kind, (wall, sampler, summary) in spiders.items():
        n = summary["pages"] - 1  # robots.txt
        rates[kind] = n / wall
        rows.append((names[kind], n, wall, summary["crawl_s"], rates[kind], sampler))
    rows.append(("full: crawl+clean+stage+DuckDB", pages_f, wall_f, f["elapsed"], rate_f, sf))
    for name, n, wall, crawl_s, rate, s in rows:
        rss, pss = s.peak()
        cpu = s.cpu_total()
        print(
            f"{name:<40}{n:>7}{wall:>8.1f}{crawl_s:>9.1f}{rate:>9.1f}{cpu:>8.1f}{1000 * cpu / n:>12.1f}"
            f"{rss / mb:>13.0f}{pss / mb:>13.0f}"
        )
    memory_report(sf, wall_f, f)
    print()
    cpu_f = sf.cpu_by_role()
    cpu_crawler = cpu_f.get("crawler", 0.0)
    print(
        f"full run CPU: crawler process {cpu_crawler:.1f} s ({1000 * cpu_crawler / pages_f:.1f} ms/page), "
        f"cleaning processes and fork server {sf.cpu_total() - cpu_crawler:.1f} s "
        f"({1000 * (sf.cpu_total() - cpu_crawler) / max(1, f['counts'].get('articles', 0)):.1f} ms/article), "
        f"DuckDB load {f.get('load_s', 0):.1f} s wall"
        + (f" (bare spider: {spiders['bare'][1].cpu_total():.1f} s)" if "bare" in spiders else "")
    )
    # The crawler's CPU above covers its whole life; by phase (its own os.times(), all threads):
    # what the crawl itself costs per page against the bare spider's crawl, apart from start-up
    # (imports, both jobs) and the DuckDB load (the full job only).
    phases = f.get("cpu_s") or {}
    if phases:
        line = "crawler process CPU by phase: " + ", ".join(
            f"{k} {v:.2f} s" + (f" ({1000 * v / pages_f:.1f} ms/page)" if k == "crawl" else "")
            for k, v in phases.items()
        )
        if "bare" in spiders and "crawl_cpu_s" in spiders["bare"][2]:
            b = spiders["bare"][2]
            line += f"; bare spider's crawl {b['crawl_cpu_s']:.2f} s ({1000 * b['crawl_cpu_s'] / (b['pages'] - 1):.1f} ms/page)"
        print(line)
    target = 0.5 if args.real else 0.8
    if "bare" in rates:
        print(f"ratio full/bare (pages/s, wall): {rate_f / rates['bare']:.2f}   (target >= {target:.2f})")
        b = spiders["bare"][2]
        print(
            f"ratio full/bare (crawl phase only): "
            f"{(pages_f / f['elapsed']) / ((b['pages'] - 1) / b['crawl_s']):.2f}"
        )
    if "peer-job" in rates:
        print(f"ratio full/peer (pages/s, wall): {rate_f / rates['peer-job']:.2f}   (target >= 3.00)")
        p = spiders["peer-job"][2]
        print(f"peer stored {p.get('items', 0)} texts")
    print(
        f"machine: {os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f} (other jobs skew both runs)"
    )
    rss, pss = sf.peak()
    print(
        f"peak memory of the full pipeline, all processes: PSS {pss / mb:.0f} MB (target < 300 MB, judged on "
        f"PSS: pages shared between processes counted once), RSS {rss / mb:.0f} MB"
    )
    stored = f["counts"].get("articles", 0)
    print(
        f"full run: {stored} articles of {info['articles']} article pages, {f['counts'].get('pages', 0)} page "
        f"records, loaded {load.get('articles', '?')} articles in {f.get('load_s', 0):.1f} s; "
        f"cleaning workers: {f.get('clean_workers', args.workers or '?')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
