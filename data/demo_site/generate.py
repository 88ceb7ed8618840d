"""Build the static demo sites in this folder from the article sources in ``_src/``.

Run ``python data/demo_site/generate.py`` after editing ``_src/*.txt`` or a template below, and
commit the output: the sites must stay plain static files (the server only serves bytes).

Three sites, three templates, three kinds of trouble a crawler of content farms meets:

* ``guanxian/`` -- a seed-like content farm (UTF-8): 来源/时间 line, the title repeated in the
  body, 一、/(一)/1./- outline, 精彩评论 with 头像 NAME-ROLE DATE, 版权与免责声明, 大家还看了,
  编辑推荐, paginated listings, sitemap.xml, robots.txt disallowing ``/consult/private/``.
* ``dedecms/`` -- a DedeCMS-style site in GBK bytes (meta charset=gb2312), one article over 3
  pages, one page whose HTTP header says utf-8, a duplicate under two URLs (``?from=rss`` and a
  mobile copy with ``rel=canonical``), a listing link to a missing page (404) and one to a 410.
* ``wenda/`` -- a Q&A site (UTF-8): question as title, best answer as body, other answers as
  comments with 楼 numbers, one question written in Traditional Chinese.

Source format (``_src/<site>.txt``): articles separated by ``===== <id>`` lines; ``key: value``
header lines, then ``---``, the body (one block per line), optionally ``---`` and comment lines
``NAME-ROLE | DATE | text`` (guanxian) or ``NAME | DATE | text`` (wenda).  In the body,
``@title`` repeats the title (``@title other text`` repeats a variant of it), ``@page`` starts the
next page of a multi-page article, ``@q <text>`` on wenda is the question's description.
Spun words (疑惑 for 问题, 利用 for 使用 ...) and the 工粳 byte loss are written into the
sources on purpose: they are what the repair chain must find.

Size: over 500 lines, mostly the three sites' HTML templates (data as code, run by hand).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "_src"

# 1x1 grey PNG for the 头像 avatars (the crawler never needs it; browsers do).
AVATAR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgYAAAAAMAASsJTYQAAAAASUVORK5CYII="
)


@dataclass
class Source:
    id: str
    meta: dict[str, str]
    body: list[str]
    comments: list[list[str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meta["title"]


def read_sources(name: str) -> list[Source]:
    text = (SRC / f"{name}.txt").read_text(encoding="utf-8")
    out: list[Source] = []
    for chunk in re.split(r"^===== ", text, flags=re.M)[1:]:
        head, _, rest = chunk.partition("\n")
        parts = rest.split("\n---\n")
        meta = {}
        for line in parts[0].splitlines():
            if line.strip():
                k, _, v = line.partition(":")
                meta[k.strip()] = v.strip()
        body = [ln.strip() for ln in parts[1].splitlines() if ln.strip()] if len(parts) > 1 else []
        comments = []
        if len(parts) > 2:
            for ln in parts[2].splitlines():
                if ln.strip():
                    comments.append([c.strip() for c in ln.split("|", 2)])
        out.append(Source(head.strip(), meta, body, comments))
    return out


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))  # strict: a character GBK lacks must fail loudly


def sitemap(urls: list[str]) -> str:
    rows = "\n".join(f"  <url><loc>{{base}}{u}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}\n</urlset>\n"
    )


def write_routes(site: Path, routes: dict) -> None:
    write(site / "_routes.json", json.dumps(routes, ensure_ascii=False, indent=2) + "\n")


OUTLINE_H1 = re.compile(r"^[一二三四五六七八九十]+、")
OUTLINE_H2 = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
OUTLINE_H3 = re.compile(r"^\d+[.、]")


# ---------------------------------------------------------------------------------- guanxian
GX_CATS = {
    "xyqhu": "逾期协商",
    "xyk": "信用卡",
    "wd": "网贷知识",
    "shxw": "社会新闻",
}
GX_PER_PAGE = 5


def gx_url(s: Source) -> str:
    return f"/consult/{s.meta['cat']}/{s.id}.html"


def gx_shell(title: str, inner: str, crumb: str = "") -> str:
    nav = " ".join(f'<a href="/consult/{c}/">{n}</a>' for c, n in GX_CATS.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="keywords" content="逾期,信用卡,网贷,协商还款,征信">
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<div class="top"><div class="wrap"><a class="logo" href="/">关仙网</a>
<div class="nav"><a href="/">首页</a> <a href="/consult/list_1.html">最新资讯</a> {nav}</div>
<form class="search" action="/search/"><input name="q" placeholder="搜索逾期、协商、征信"></form></div></div>
<div class="wrap main">
{inner}
</div>
<div class="footer"><div class="wrap"><p class="crumb">{crumb}</p>
<p>关于我们 | 联系方式 | 免责声明 | 网站地图</p><p>Copyright © 2019-2025 关仙网 版权所有</p></div></div>
</body>
</html>
"""


def gx_body(s: Source) -> str:
    out = []
    for line in s.body:
        if line.startswith("@title"):
            variant = line[len("@title") :].strip() or s.title
            out.append(f"<p>{esc(variant)}</p>")
        elif OUTLINE_H1.match(line):
            out.append(f"<h2>{esc(line)}</h2>")
        elif OUTLINE_H2.match(line):
            out.append(f"<h3>{esc(line)}</h3>")
        elif OUTLINE_H3.match(line):
            out.append(f"<p><strong>{esc(line)}</strong></p>")
        else:
            out.append(f"<p>{esc(line)}</p>")
    return "\n".join(out)


def gx_links(items: list[Source]) -> str:
    return "\n".join(f'<li><a href="{gx_url(s)}">{esc(s.title)}</a></li>' for s in items)


def gx_article(s: Source, others: list[Source], index: int) -> str:
    n = len(others)
    also = [others[(index + k) % n] for k in (1, 2, 3, 4)]
    picks = [others[(index + k) % n] for k in (5, 7, 9, 11, 13)]
    comments = "\n".join(
        f"""<div class="pl-item"><img src="/static/avatar.png" alt="头像" width="40" height="40">
<div class="pl-body"><p class="pl-name">{esc(name)} {esc(date)}</p><p class="pl-text">{esc(text)}</p></div></div>"""
        for name, date, text in s.comments
    )
    cat = s.meta["cat"]
    inner = f"""<div class="left">
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/consult/{cat}/">{GX_CATS[cat]}</a> &gt; 正文</div>
<div class="article">
<h1>{esc(s.title)}</h1>
<div class="info">来源:{esc(s.meta["source"])} 时间:{esc(s.meta["date"])}</div>
<div class="content">
{gx_body(s)}
</div>
<div class="also"><h3>大家还看了:</h3>
<ul>
{gx_links(also)}
</ul></div>
<div class="pinglun"><h3>精彩评论</h3>
{comments}
</div>
<p class="editor">编辑:{esc(s.meta.get("editor", s.meta["source"]))}</p>
<p class="link">本文链接:http://www.guanxian.org{gx_url(s)}</p>
<div class="statement"><p>版权与免责声明:</p>
<p>① 凡本网注明"来源:"的所有作品,版权均属于,未经本网授权不得转载、摘编或利用其它方式使用上述作品。已经本网授权使用作品的,应在授权范围内使用,并注明"来源:XX"。违反上述声明者,本网将追究其相关法律责任。</p>
<p>② 凡本网注明"来源:xxx(非)"的作品,均转载自其它媒体,转载目的在于传递更多信息,并不代表本网赞同其观点和对其真实性负责。</p>
<p>③ 如因作品内容、版权和其它问题需要同本网联系的,请在30日内进行。</p>
</div>
</div>
</div>
<div class="right">
<div class="box"><h3>编辑推荐</h3>
<ul>
{gx_links(picks)}
</ul></div>
</div>"""
    return gx_shell(f"{s.title}_{GX_CATS[cat]}_关仙网", inner, crumb=GX_CATS["shxw"])


def gx_listing(title: str, items: list[Source], pager: str, extra: str = "") -> str:
    rows = "\n".join(
        f"""<li><a href="{gx_url(s)}" class="t">{esc(s.title)}</a>
<p>{esc(_summary(s))}</p><span>{esc(s.meta["date"][:10])}</span></li>"""
        for s in items
    )
    inner = f"""<div class="left"><div class="list"><h2>{esc(title)}</h2>
<ul class="list-ul">
{rows}{extra}
</ul>
<div class="pages">{pager}</div>
</div></div>"""
    return gx_shell(f"{title}_关仙网", inner, crumb=GX_CATS["shxw"])


def _summary(s: Source) -> str:
    for line in s.body:
        if not line.startswith("@") and not OUTLINE_H1.match(line) and len(line) > 20:
            return line[:60] + "..."
    return ""


def _pager(n_pages: int, page: int, href) -> str:
    parts = []
    if page > 1:
        parts.append(f'<a href="{href(1)}">首页</a> <a href="{href(page - 1)}">上一页</a>')
    for p in range(1, n_pages + 1):
        parts.append(f"<b>{p}</b>" if p == page else f'<a href="{href(p)}">{p}</a>')
    if page < n_pages:
        parts.append(f'<a href="{href(page + 1)}">下一页</a> <a href="{href(n_pages)}">尾页</a>')
    return " ".join(parts)


def build_guanxian(out: Path) -> dict:
    site = out / "guanxian"
    sources = read_sources("guanxian")
    public = [s for s in sources if s.meta["cat"] != "private"]
    private = [s for s in sources if s.meta["cat"] == "private"]
    public.sort(key=lambda s: s.meta["date"], reverse=True)
    for i, s in enumerate(public):
        write(site / gx_url(s).lstrip("/"), gx_article(s, public, i))
    for s in private:  # same template: only robots.txt keeps a polite crawler away from it
        s.meta["cat"] = "shxw"
        page = gx_article(s, public, 0).replace(f"/consult/shxw/{s.id}.html", f"/consult/private/{s.id}.html")
        write(site / "consult" / "private" / f"{s.id}.html", page)

    pages = [public[i : i + GX_PER_PAGE] for i in range(0, len(public), GX_PER_PAGE)]
    for p, items in enumerate(pages, 1):
        extra = ""
        if p == 2:  # a listing link into the disallowed folder: robots.txt must stop the crawler
            for s in private:
                extra += f"""
<li><a href="/consult/private/{s.id}.html" class="t">{esc(s.title)}</a>
<p>{esc(_summary(s))}</p><span>{esc(s.meta["date"][:10])}</span></li>"""
        pager = _pager(len(pages), p, lambda k: f"/consult/list_{k}.html")
        write(site / "consult" / f"list_{p}.html", gx_listing(f"最新资讯 第{p}页", items, pager, extra))
    for cat, name in GX_CATS.items():
        items = [s for s in public if s.meta["cat"] == cat]
        write(site / "consult" / cat / "index.html", gx_listing(name, items, "<b>1</b>"))

    home_items = "\n".join(
        f'<li><a href="{gx_url(s)}">{esc(s.title)}</a><span>{esc(s.meta["date"][5:10])}</span></li>'
        for s in public[:8]
    )
    home = gx_shell(
        "关仙网_逾期协商_信用卡_网贷知识",
        f"""<div class="left"><div class="box"><h2>最新资讯</h2><ul>
{home_items}
</ul><p class="more"><a href="/consult/list_1.html">更多资讯&gt;&gt;</a></p></div></div>""",
    )
    write(site / "index.html", home)
    write(site / "static" / "style.css", GX_CSS)
    (site / "static" / "avatar.png").write_bytes(AVATAR_PNG)
    write(
        site / "robots.txt",
        "User-agent: *\nDisallow: /consult/private/\n\nSitemap: {base}/sitemap.xml\n",
    )
    urls = ["/"] + [f"/consult/list_{p}.html" for p in range(1, len(pages) + 1)] + [gx_url(s) for s in public]
    write(site / "sitemap.xml", sitemap(urls))
    write_routes(
        site,
        {
            "//": "sitemap.xml and robots.txt hold {base}: absolute URLs are only known once the port is",
            "/sitemap.xml": {"template": True},
            "/robots.txt": {"template": True},
        },
    )
    listings = (
        ["/"]
        + [f"/consult/list_{p}.html" for p in range(1, len(pages) + 1)]
        + [f"/consult/{c}/" for c in GX_CATS]
    )
    return {
        "articles": [{"path": gx_url(s), "title": s.title, "parts": [gx_url(s)]} for s in public],
        "listings": listings,
        "private": [f"/consult/private/{s.id}.html" for s in private],
    }


GX_CSS = """body{margin:0;font:14px/1.8 "Microsoft YaHei",sans-serif;color:#333}
.wrap{width:1000px;margin:0 auto}.top{background:#c00}.top a{color:#fff;margin-right:12px}
.left{float:left;width:700px}.right{float:right;width:280px}.footer{clear:both;background:#eee}
.pl-item img{float:left;margin-right:8px}.pl-name{color:#999}.info{color:#999}
"""


# ---------------------------------------------------------------------------------- dedecms
DD_CATS = {"shouji": (1, "手机知识"), "lvyou": (2, "旅游攻略")}
DD_PER_PAGE = 5


def dd_url(s: Source, page: int = 1) -> str:
    d = s.meta["date"]
    suffix = "" if page == 1 else f"_{page}"
    return f"/{s.meta['cat']}/{d[:4]}/{d[5:7]}{d[8:10]}/{s.id}{suffix}.html"


def dd_shell(title: str, inner: str, cat: str | None = None, canonical: str = "") -> str:
    nav = "".join(f'<li><a href="/{c}/">{n}</a></li>' for c, (_, n) in DD_CATS.items())
    place = (
        f'<a href="/">主页</a> &gt; <a href="/{cat}/">{DD_CATS[cat][1]}</a> &gt;'
        if cat
        else '<a href="/">主页</a> &gt;'
    )
    canon = f'\n<link rel="canonical" href="{canonical}" />' if canonical else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(title)}</title>
<meta name="keywords" content="手机,旅游,攻略,生活百科" />{canon}
<link href="/templets/default/style/dedecms.css" rel="stylesheet" media="screen" type="text/css" />
</head>
<body class="articleview">
<div class="header"><div class="top w960 center"><div class="title"><h1><a href="/">生活百科网</a></h1></div></div>
<div class="module blue mT10 wrapper w963"><div id="navMenu"><ul><li><a href="/"><span>主页</span></a></li>{nav}</ul></div></div></div>
<div class="w960 center clear mt1">
<div class="pleft">
<div class="place"><strong>当前位置:</strong> {place}</div>
{inner}
</div>
<div class="pright"><div class="commend mt1"><dl class="tbox light"><dt class="light"><strong>推荐内容</strong></dt>
<dd class="light"><ul class="d4"><li><a href="/shouji/">手机知识大全</a></li><li><a href="/lvyou/">国内外旅游攻略</a></li></ul></dd></dl></div></div>
</div>
<div class="footer w960 center mt1 clear"><div class="footer_left"></div><div class="footer_body">
<p class="powered">Powered by <a href="http://www.dedecms.com" title="织梦内容管理系统">DedeCMS</a> &copy; 2004-2024 生活百科网 本站内容来自网络,如有侵权请联系删除</p>
</div><div class="footer_right"></div></div>
</body>
</html>
"""


def dd_text(lines: list[str]) -> str:
    out = []
    for line in lines:
        # DedeCMS editors indent with &nbsp; and type curly quotes as entities: keep both.
        t = esc(line).replace("“", "&ldquo;").replace("”", "&rdquo;")
        if OUTLINE_H1.match(line) or OUTLINE_H3.match(line) or OUTLINE_H2.match(line):
            out.append(f"<p><strong>{t}</strong></p>")
        else:
            out.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{t}</p>")
    return "\n".join(out)


def dd_pages(s: Source) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for line in s.body:
        if line == "@page":
            pages.append([])
        else:
            pages[-1].append(line)
    return pages


def dd_pager(s: Source, page: int, n: int) -> str:
    if n == 1:
        return ""
    name = lambda k: dd_url(s, k).rsplit("/", 1)[-1]  # noqa: E731 - Dede links pages relatively
    items = [f"<li><a>共{n}页: </a></li>"]
    if page > 1:
        items.append(f"<li><a href='{name(page - 1)}'>上一页</a></li>")
    for k in range(1, n + 1):
        items.append(
            f'<li class="thisclass"><a href="#">第{k}页</a></li>'
            if k == page
            else f"<li><a href='{name(k)}'>{k}</a></li>"
        )
    if page < n:
        items.append(f"<li><a href='{name(page + 1)}'>下一页</a></li>")
    return f'<div class="dede_pages"><ul class="pagelist">{"".join(items)}</ul></div>'


def dd_article(s: Source, related: list[Source], prev: Source | None, nxt: Source | None, page: int) -> str:
    pages = dd_pages(s)
    cat = s.meta["cat"]
    rel = "\n".join(
        f'<li><a href="{dd_url(r)}">{esc(r.title)}</a><span>{r.meta["date"][5:10]}</span></li>'
        for r in related
    )
    ctx = (
        f"<li>上一篇：<a href='{dd_url(prev)}'>{esc(prev.title)}</a> </li>"
        if prev
        else "<li>上一篇：没有了 </li>"
    ) + (
        f"<li>下一篇：<a href='{dd_url(nxt)}'>{esc(nxt.title)}</a> </li>"
        if nxt
        else "<li>下一篇：没有了 </li>"
    )
    inner = f"""<div class="viewbox">
<div class="title"><h2>{esc(s.title)}</h2></div>
<div class="info">来源：{esc(s.meta["source"])} 作者：{esc(s.meta["author"])} 发布时间：{esc(s.meta["date"])} 点击：<script src="/plus/count.php?view=yes&amp;aid={s.id}&amp;mid=1" type='text/javascript' language="javascript"></script>次</div>
<div class="intro">{esc(s.meta.get("intro", ""))}</div>
<div class="content">
<table width='100%'><tr><td>
{dd_text(pages[page - 1])}
</td></tr></table>
</div>
{dd_pager(s, page, len(pages))}
<div class="boxoff"><strong>------分隔线----------------------------</strong></div>
<div class="handle"><div class="context"><ul>{ctx}</ul></div></div>
</div>
<div class="xiangguan"><dl class="tbox"><dt><strong>相关阅读</strong></dt><dd><ul class="c1 ico2">
{rel}
</ul></dd></dl></div>"""
    suffix = f"(第{page}页)" if page > 1 else ""
    return dd_shell(f"{s.title}{suffix}_{DD_CATS[cat][1]}_生活百科网", inner, cat)


def dd_mobile(s: Source) -> str:
    """A mobile copy of an article: other markup, same text, rel=canonical to the desktop URL."""
    body = "\n".join(f"<p>{esc(line)}</p>" for line in dd_pages(s)[0])
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=no" />
<title>{esc(s.title)}_手机版_生活百科网</title>
<link rel="canonical" href="{dd_url(s)}" />
</head>
<body>
<header class="m-head"><a href="/m/">生活百科</a></header>
<article class="m-article">
<h1>{esc(s.title)}</h1>
<div class="info">来源：{esc(s.meta["source"])} 作者：{esc(s.meta["author"])} 发布时间：{esc(s.meta["date"])}</div>
<div class="content">
{body}
</div>
</article>
<footer class="m-foot"><a href="{dd_url(s)}">电脑版</a> | 生活百科网</footer>
</body>
</html>
"""


def dd_listing(cat: str, items: list[Source], page: int, n_pages: int, total: int, extra: str) -> str:
    typeid, name = DD_CATS[cat]
    href = lambda k: f"/{cat}/" if k == 1 else f"/{cat}/list_{typeid}_{k}.html"  # noqa: E731
    rows = "\n".join(
        f"""<li><a href="{dd_url(s)}" class="title">{esc(s.title)}</a><span class="info"><small>日期：</small>{s.meta["date"][:10]}</span>
<p class="intro">{esc(s.meta.get("intro", ""))}</p></li>"""
        for s in items
    )
    pager = [
        f'<li><span class="pageinfo">共 <strong>{n_pages}</strong>页<strong>{total}</strong>条记录</span></li>'
    ]
    if page > 1:
        pager.append(f"<li><a href='{href(1)}'>首页</a></li><li><a href='{href(page - 1)}'>上一页</a></li>")
    for k in range(1, n_pages + 1):
        pager.append(
            f'<li class="thisclass">{k}</li>' if k == page else f"<li><a href='{href(k)}'>{k}</a></li>"
        )
    if page < n_pages:
        pager.append(
            f"<li><a href='{href(page + 1)}'>下一页</a></li><li><a href='{href(n_pages)}'>末页</a></li>"
        )
    inner = f"""<div class="listbox"><ul class="e2">
{rows}{extra}
</ul></div>
<div class="dede_pages"><ul class="pagelist">{"".join(pager)}</ul></div>
<p class="more"><a href="/plus/list.php?tid={typeid}&amp;PageNo=1">动态浏览</a></p>"""
    title = f"{name}_生活百科网" if page == 1 else f"{name}_第{page}页_生活百科网"
    return dd_shell(title, inner, cat)


def build_dedecms(out: Path, lying: str, dup: str, missing: str, gone: str) -> dict:
    site = out / "dedecms"
    sources = read_sources("dedecms")
    by_id = {s.id: s for s in sources}
    order = sorted(sources, key=lambda s: s.meta["date"], reverse=True)
    articles = []
    listings = ["/"]
    for cat in DD_CATS:
        items = [s for s in order if s.meta["cat"] == cat]
        for i, s in enumerate(items):
            related = [r for r in items if r is not s][:5]
            prev = items[i + 1] if i + 1 < len(items) else None
            nxt = items[i - 1] if i > 0 else None
            for p in range(1, len(dd_pages(s)) + 1):
                write(site / dd_url(s, p).lstrip("/"), dd_article(s, related, prev, nxt, p), "gbk")
            n_parts = len(dd_pages(s))
            articles.append(
                {"path": dd_url(s), "title": s.title, "parts": [dd_url(s, p) for p in range(1, n_parts + 1)]}
            )
        typeid = DD_CATS[cat][0]
        chunks = [items[i : i + DD_PER_PAGE] for i in range(0, len(items), DD_PER_PAGE)]
        for k, chunk in enumerate(chunks, 1):
            extra = ""
            if cat == "shouji" and k == len(chunks):  # deleted articles still listed: 404 and 410
                for path, title in (
                    (missing, "手机屏幕碎了先别急着换,这几招省下几百块"),
                    (gone, "老年机怎么设置大字体?一步到位"),
                ):
                    extra += f"""
<li><a href="{path}" class="title">{esc(title)}</a><span class="info"><small>日期：</small>2024-06-20</span>
<p class="intro"></p></li>"""
            page = dd_listing(cat, chunk, k, len(chunks), len(items), extra)
            name = "index.html" if k == 1 else f"list_{typeid}_{k}.html"
            write(site / cat / name, page, "gbk")
            listings.append(f"/{cat}/" if k == 1 else f"/{cat}/{name}")

    dup_src = by_id[dup]
    write(site / "m" / "view" / f"{dup}.html", dd_mobile(dup_src), "gbk")
    # Home: newest articles, an "RSS精选" block linking the duplicate with ?from=rss, and the
    # mobile copy under 手机版 -- the same article reached three ways.
    latest = "\n".join(f'<li><a href="{dd_url(s)}">{esc(s.title)}</a></li>' for s in order[:8])
    inner = f"""<div class="listbox"><h2>最新文章</h2><ul class="e2">
{latest}
</ul></div>
<div class="listbox"><h2>RSS精选</h2><ul class="e2">
<li><a href="{dd_url(dup_src)}?from=rss">{esc(dup_src.title)}</a></li>
</ul></div>
<div class="listbox"><h2>手机版</h2><ul class="e2">
<li><a href="/m/view/{dup}.html">{esc(dup_src.title)}(手机版)</a></li>
</ul></div>"""
    write(site / "index.html", dd_shell("生活百科网_手机知识_旅游攻略", inner), "gbk")
    write(
        site / "templets" / "default" / "style" / "dedecms.css",
        "body{font:12px/1.6 宋体}\n.w960{width:960px}\n",
    )
    write(site / "robots.txt", "User-agent: *\nDisallow: /plus/\n\nSitemap: {base}/sitemap.xml\n")
    urls = ["/"] + [f"/{c}/" for c in DD_CATS] + [dd_url(s) for s in order]
    write(site / "sitemap.xml", sitemap(urls))
    write_routes(
        site,
        {
            "//": "sitemap.xml and robots.txt hold {base}; one page lies about its charset; one deleted page is 410",
            "/sitemap.xml": {"template": True},
            "/robots.txt": {"template": True},
            dd_url(by_id[lying]): {
                "headers": {"Content-Type": "text/html; charset=utf-8"},
                "why": "the bytes are GBK and the meta says gb2312: the HTTP header lies",
            },
            gone: {"status": 410, "why": "an article the site deleted and says so"},
        },
    )
    return {"articles": articles, "listings": listings}


# ---------------------------------------------------------------------------------- wenda
WD_CATS = {"meishi": "美食烹饪", "jiaju": "家居生活", "shenghuo": "生活常识"}
WD_PER_PAGE = 4


def wd_url(s: Source) -> str:
    return f"/question/{s.id}.html"


def wd_shell(title: str, inner: str, side: str) -> str:
    nav = "".join(f'<a href="/list/{c}/">{n}</a>' for c, n in WD_CATS.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="UTF-8">
<title>{esc(title)}</title>
<meta name="description" content="问答社区,有问必答">
</head>
<body>
<div id="header"><a class="logo" href="/">问答之家</a><nav>{nav}</nav>
<a class="ask-btn" href="/user/ask.html">我要提问</a></div>
<div id="container">
<div id="main">
{inner}
</div>
<div id="side">{side}</div>
</div>
<div id="footer"><p>问答之家 · 用户发布的内容仅代表其个人观点 · 举报邮箱 jubao@example.com</p></div>
</body>
</html>
"""


def wd_answer_html(lines: list[str]) -> str:
    return "\n".join(f"<p>{esc(line)}</p>" for line in lines)


def wd_question(s: Source, hot: list[Source]) -> str:
    detail = [ln[3:].strip() for ln in s.body if ln.startswith("@q ")]
    answer = [ln for ln in s.body if not ln.startswith("@q ")]
    others = "\n".join(
        f"""<div class="answer-item">
<div class="answer-meta"><span class="floor">{i}楼</span> <a class="user" href="/user/{esc(name)}.html">{esc(name)}</a> <span class="time">{esc(date)}</span></div>
<div class="answer-text">{esc(text)}</div>
<div class="answer-ops"><a href="javascript:;">赞</a> <a href="javascript:;">回复</a> <a href="javascript:;">举报</a></div>
</div>"""
        for i, (name, date, text) in enumerate(s.comments, 1)
    )
    side = (
        '<div class="hot"><h3>热门问题</h3><ul>'
        + "".join(f'<li><a href="{wd_url(h)}">{esc(h.title)}</a></li>' for h in hot)
        + "</ul></div>"
    )
    cat = s.meta["cat"]
    inner = f"""<div class="crumb"><a href="/">问答之家</a> &gt; <a href="/list/{cat}/">{WD_CATS[cat]}</a></div>
<div class="question">
<h1 class="q-title">{esc(s.title)}</h1>
<div class="q-detail">{"".join(f"<p>{esc(d)}</p>" for d in detail)}</div>
<div class="q-meta"><a class="user" href="/user/{esc(s.meta["asker"])}.html">{esc(s.meta["asker"])}</a> 提问于 <span class="time">{esc(s.meta["date"])}</span> · {s.meta.get("views", "1024")}次浏览</div>
</div>
<div class="best-answer">
<div class="best-label">最佳答案</div>
<div class="answer-meta"><a class="user" href="/user/{esc(s.meta["best_author"])}.html">{esc(s.meta["best_author"])}</a> <span class="time">{esc(s.meta["best_date"])}</span></div>
<div class="answer-content">
{wd_answer_html(answer)}
</div>
<div class="answer-ops">赞({s.meta.get("likes", "0")}) 评论 分享 举报</div>
</div>
<div class="other-answers"><h3>其他回答({len(s.comments)})</h3>
{others}
</div>
<div class="related"><h3>相关问题</h3><ul>{"".join(f'<li><a href="{wd_url(h)}">{esc(h.title)}</a></li>' for h in hot[:3])}</ul></div>"""
    return wd_shell(f"{s.title} - 问答之家", inner, side)


def build_wenda(out: Path) -> dict:
    site = out / "wenda"
    sources = read_sources("wenda")
    order = sorted(sources, key=lambda s: s.meta["date"], reverse=True)
    for i, s in enumerate(order):
        hot = [order[(i + k) % len(order)] for k in (1, 3, 5, 7)]
        write(site / wd_url(s).lstrip("/"), wd_question(s, hot))
    hot_all = order[:5]
    side = (
        '<div class="hot"><h3>热门问题</h3><ul>'
        + "".join(f'<li><a href="{wd_url(h)}">{esc(h.title)}</a></li>' for h in hot_all)
        + "</ul></div>"
    )
    listings = ["/"]
    for cat, name in WD_CATS.items():
        items = [s for s in order if s.meta["cat"] == cat]
        chunks = [items[i : i + WD_PER_PAGE] for i in range(0, len(items), WD_PER_PAGE)]
        for k, chunk in enumerate(chunks, 1):
            href = lambda p, cat=cat: f"/list/{cat}/" if p == 1 else f"/list/{cat}/p{p}.html"  # noqa: E731
            rows = "\n".join(
                f"""<li><a class="q" href="{wd_url(s)}">{esc(s.title)}</a><span class="n">{len(s.comments) + 1}个回答</span><span class="d">{s.meta["date"][:10]}</span></li>"""
                for s in chunk
            )
            inner = f"""<div class="crumb"><a href="/">问答之家</a> &gt; {name}</div>
<h2>{name}</h2><ul class="q-list">
{rows}
</ul>
<div class="pager">{_pager(len(chunks), k, href)}</div>"""
            write(
                site / "list" / cat / ("index.html" if k == 1 else f"p{k}.html"),
                wd_shell(f"{name}_第{k}页 - 问答之家", inner, side),
            )
            listings.append(href(k))
    latest = "\n".join(f'<li><a href="{wd_url(s)}">{esc(s.title)}</a></li>' for s in order[:6])
    cats = "".join(f'<li><a href="/list/{c}/">{n}</a></li>' for c, n in WD_CATS.items())
    write(
        site / "index.html",
        wd_shell(
            "问答之家 - 有问必答的生活问答社区",
            f"<h2>最新问题</h2><ul>{latest}</ul><h2>分类</h2><ul>{cats}</ul>",
            side,
        ),
    )
    write(site / "robots.txt", "User-agent: *\nDisallow: /user/\n\nSitemap: {base}/sitemap.xml\n")
    urls = ["/"] + [f"/list/{c}/" for c in WD_CATS] + [wd_url(s) for s in order]
    write(site / "sitemap.xml", sitemap(urls))
    write_routes(
        site,
        {
            "//": "sitemap.xml and robots.txt hold {base}: absolute URLs are only known once the port is",
            "/sitemap.xml": {"template": True},
            "/robots.txt": {"template": True},
        },
    )
    return {
        "articles": [{"path": wd_url(s), "title": s.title, "parts": [wd_url(s)]} for s in order],
        "listings": listings,
    }


# ---------------------------------------------------------------------------------- expected.json
# Facts the end-to-end test asserts.  Paths and titles come from the sources; the phrases below
# were picked by hand from text that no repair rule should touch (no spun words, no garble), and
# `check_expected` proves each one is really in the page bytes, decoded the way the site serves them.
DEDE_LYING = "1204"
DEDE_DUP = "1101"
DEDE_MISSING = "/shouji/2024/0620/1399.html"
DEDE_GONE = "/shouji/2024/0618/1398.html"


def expected(gx: dict, dd: dict, wd: dict) -> dict:
    dd_multi = next(a for a in dd["articles"] if len(a["parts"]) > 1)
    return {
        "//": "written by generate.py; every phrase is checked against the files by tests/e2e/test_demo_site_files.py",
        "total_articles": len(gx["articles"]) + len(dd["articles"]) + len(wd["articles"]),
        "sites": {
            "guanxian": {
                "encoding": "utf-8",
                "articles": gx["articles"],
                "listings": gx["listings"],
                "disallowed": {
                    "rule": "/consult/private/",
                    "pages": gx["private"],
                    "linked_from": "/consult/list_2.html",
                },
                "seed": {
                    "path": "/consult/xyqhu/1425292049.html",
                    "title": "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法",
                    "published_at": "2025-04-26 14:25:27",
                    "source": "逾期-合作伙伴",
                    "editor": "逾期-合作伙伴",
                    "title_repeats_in_body": {
                        "exact": 2,
                        "variants": ["京东逾期解冻全攻略:解决冻结起因及恢复信用额度方法"],
                    },
                },
                "phrases": [
                    {
                        "path": "/consult/xyqhu/1425292049.html",
                        "phrase": "京东是京东金融推出的一款消费信贷产品",
                    },
                    {"path": "/consult/xyqhu/1425380219.html", "phrase": "期限原则上不超过5年"},
                ],
                "garbled": [
                    {"path": "/consult/xyqhu/1425292049.html", "before": "工粳", "after": "工具"},
                    {"path": "/consult/xyqhu/1425380219.html", "before": "工粳", "after": "工具"},
                ],
                "spun_examples": [
                    {"path": "/consult/xyqhu/1425292049.html", "spun": "至关关键", "original": "至关重要"},
                    {"path": "/consult/xyqhu/1425292049.html", "spun": "疑惑", "original": "问题"},
                    {"path": "/consult/xyqhu/1425396512.html", "spun": "至关关键", "original": "至关重要"},
                ],
                "comments": [
                    {
                        "path": "/consult/xyqhu/1425292049.html",
                        "rows": [
                            {"author": "雷俊驰", "role": "债务结清者", "published_at": "2025-04-26"},
                            {"author": "严静", "role": "资深顾问", "published_at": "2025-04-26"},
                            {"author": "池静", "role": "债务助理", "published_at": "2025-04-26"},
                            {"author": "陶诚", "role": "律助", "published_at": "2025-04-26"},
                            {"author": "武昊", "role": "经济重生者", "published_at": "2025-04-26"},
                        ],
                    },
                    {
                        "path": "/consult/xyqhu/1425380219.html",
                        "rows": [
                            {"author": "高远", "role": "上岸者", "published_at": "2025-04-16"},
                            {"author": "许婧", "role": "律师助理", "published_at": "2025-04-17"},
                            {"author": "邓超群", "role": "债务规划师", "published_at": "2025-04-17"},
                        ],
                    },
                ],
                "boilerplate_not_in_body": [
                    "版权与免责声明",
                    "大家还看了",
                    "编辑推荐",
                    "本文链接",
                    "社会新闻",
                    "精彩评论",
                ],
            },
            "dedecms": {
                "encoding": "gbk",
                "declared_meta_charset": "gb2312",
                "articles": dd["articles"],
                "listings": dd["listings"],
                "disallowed": {
                    "rule": "/plus/",
                    "pages": ["/plus/list.php?tid=1&PageNo=1"],
                    "linked_from": "/shouji/",
                },
                "multipage": {
                    "path": dd_multi["path"],
                    "parts": dd_multi["parts"],
                    "phrases": [
                        "从大理站打车到古城大约二十分钟",
                        "喜洲古镇的破酥粑粑一定要尝",
                        "苍山洗马潭索道全长约五千多米",
                    ],
                },
                "phrases": [
                    {
                        "path": "/shouji/2024/0308/1102.html",
                        "phrase": "读者王喆留言说",
                        "why": "喆 is GBK but not GB2312: a strict gb2312 decoder fails here",
                    },
                    {
                        "path": "/shouji/2024/0308/1102.html",
                        "phrase": "开启“卸载未使用的应用”后",
                        "why": "curly quotes written as &ldquo;/&rdquo; entities",
                    },
                    {"path": "/lvyou/2024/0520/2052.html", "phrase": "国内航班建议提前两小时到达机场"},
                ],
                "lying_header": {
                    "path": f"/shouji/2024/0610/{DEDE_LYING}.html",
                    "content_type": "text/html; charset=utf-8",
                    "actual_encoding": "gbk",
                    "phrase": "进水后第一件事就是关机",
                },
                "duplicates": [
                    {
                        "canonical": "/shouji/2024/0301/1101.html",
                        "alias": "/shouji/2024/0301/1101.html?from=rss",
                        "kind": "same bytes, extra query",
                        "linked_from": "/",
                    },
                    {
                        "canonical": "/shouji/2024/0301/1101.html",
                        "alias": f"/m/view/{DEDE_DUP}.html",
                        "kind": "mobile copy with rel=canonical",
                        "linked_from": "/",
                    },
                ],
                "missing": {"path": DEDE_MISSING, "status": 404, "linked_from": "/shouji/list_1_2.html"},
                "gone": {"path": DEDE_GONE, "status": 410, "linked_from": "/shouji/list_1_2.html"},
            },
            "wenda": {
                "encoding": "utf-8",
                "articles": wd["articles"],
                "listings": wd["listings"],
                "disallowed": {"rule": "/user/", "pages": [], "linked_from": None},
                "phrases": [
                    {"path": "/question/3081447.html", "phrase": "把多余的油倒出来"},
                    {"path": "/question/3081455.html", "phrase": "小额诉讼程序简单"},
                ],
                "comments": [
                    {
                        "path": "/question/3081455.html",
                        "rows": [
                            {"author": "打工人阿杰", "floor": 1, "published_at": "2024-08-04 10:20"},
                            {"author": "法律小白", "floor": 2, "published_at": "2024-08-04 18:47"},
                            {"author": "租房踩坑王", "floor": 3, "published_at": "2024-08-05 11:09"},
                        ],
                    },
                    {
                        "path": "/question/3081447.html",
                        "rows": [
                            {"author": "吃货小王", "floor": 1, "published_at": "2024-09-02 20:11"},
                            {"author": "山东大妈", "floor": 2, "published_at": "2024-09-03 08:40"},
                            {"author": "路人甲乙丙", "floor": 3, "published_at": "2024-09-04 12:15"},
                        ],
                    },
                ],
                "traditional": {
                    "path": "/question/3081460.html",
                    "raw_title": "鳳梨酥怎麼做才會酥軟不黏手?",
                    "title_t2s": "凤梨酥怎么做才会酥软不黏手?",
                    "raw_phrase": "低筋麵粉和奶粉要過篩",
                    "phrase_t2s": "低筋面粉和奶粉要过筛",
                    "comment_authors_t2s": ["高雄阿嬷", "爱吃甜点的猫"],
                },
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the demo sites from _src/*.txt (site.toml files are written by hand)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE,
        help="output folder (default: this folder); a test builds into a temporary one and compares",
    )
    out = parser.parse_args(argv).out
    gx = build_guanxian(out)
    dd = build_dedecms(out, lying=DEDE_LYING, dup=DEDE_DUP, missing=DEDE_MISSING, gone=DEDE_GONE)
    wd = build_wenda(out)
    write(out / "expected.json", json.dumps(expected(gx, dd, wd), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
