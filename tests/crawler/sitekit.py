"""Page builders for crawl tests (articles, listings, a small content farm) and helpers that run
``guidecrawl`` as cron would.  The server they are served by is ``tests/mockserver.py``.
"""

from __future__ import annotations

import gzip

from tests.mockserver import Route

PARAGRAPHS = [
    "大理古城的清晨格外安静,石板路上只有零星的游客和早起的商贩。",
    "洱海边的风很大,建议游客带一件外套,骑行环湖时注意防晒。",
    "苍山索道分为感通索道和洗马潭索道,旺季需要提前在官方渠道预约。",
    "古城里的小吃以乳扇、饵丝和鲜花饼最有名,价格一般在十元左右。",
    "如果行程只有三天,可以第一天逛古城,第二天环洱海,第三天上苍山。",
    "当地的三道茶讲究一苦二甜三回味,是白族待客的传统礼节。",
]


def article_html(
    title: str, paras: list[str], *, charset: str = "utf-8", pager: str = "", extra_links: str = ""
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_生活百科网</title></head><body>'
        f'<div class="nav"><a href="/">首页</a> &gt; <a href="/list/">攻略</a></div>'
        f'<div class="article"><h1>{title}</h1><div class="info">来源:生活百科网 时间:2024-05-12 10:20:00</div>'
        f'<div class="content">{body}</div>{pager}</div>'
        f'<div class="related">{extra_links}</div></body></html>'
    )


def listing_html(links: list[tuple[str, str]], *, next_href: str = "") -> str:
    items = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in links)
    nxt = f'<div class="pages"><a href="{next_href}">下一页</a></div>' if next_href else ""
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>攻略列表</title></head><body><ul>{items}</ul>{nxt}</body></html>'


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def farm_routes(
    n_articles: int, *, per_listing: int = 20, stall: float = 0.0, tag: str = ""
) -> dict[str, Route]:
    """A small content farm: ``/`` → ``/list_1.html`` → … (``per_listing`` articles each, "下一页"
    to the next), articles at ``/a/<n>.html`` whose first sentence names ``tag`` and ``n``."""
    r: dict[str, Route] = {
        "/robots.txt": Route(b"User-agent: *\nDisallow:\n", headers={"Content-Type": "text/plain"}),
        "/": Route(listing_html([("/list_1.html", "列表")]).encode(), stall=stall),
    }
    n_lists = max(1, -(-n_articles // per_listing))
    n = 0
    for i in range(1, n_lists + 1):
        links = []
        for _ in range(per_listing):
            if n >= n_articles:
                break
            n += 1
            links.append((f"/a/{n}.html", f"文章{n}"))
            paras = [f"{tag}站第{n}篇文章的独有句子。", *PARAGRAPHS]
            r[f"/a/{n}.html"] = Route(article_html(f"{tag}文章{n}", paras).encode(), stall=stall)
        nxt = f"/list_{i + 1}.html" if i < n_lists else ""
        r[f"/list_{i}.html"] = Route(listing_html(links, next_href=nxt).encode(), stall=stall)
    return r


def guidecrawl(*args: str, timeout: float = 180, env: dict | None = None, **kw):
    """``python -m pipelines.cli ARGS`` from the repo root, as cron would run ``guidecrawl``."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        **kw,
    )


def guidecrawl_popen(*args: str, env: dict | None = None, **kw):
    """``guidecrawl ARGS`` started in the background (to be killed by the test)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        **kw,
    )


FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "--clean-workers", "1", "--quiet"]


def db_rows(db, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of ``sql`` on the DuckDB file ``db`` (read-only)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
