"""The embedded demo site as files: what the end-to-end test will rely on is really there.

``data/demo_site/expected.json`` lists the facts the crawl test asserts (articles, titles, the
3-page article, GBK phrases, the lying header, robots, 404/410, duplicates, comment authors, the
Traditional page); these tests prove each one against the bytes on disk, so a failing crawl test
points at the crawler or the cleaners, not at the fixture.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import opencc
import pytest

from pipelines.demo.localsite import load_routes, read_profile, site_folders, substitute_base

ROOT = Path(__file__).resolve().parents[2] / "data" / "demo_site"
EXPECTED = json.loads((ROOT / "expected.json").read_text(encoding="utf-8"))
SITES = EXPECTED["sites"]
BASE = "http://127.0.0.1:8000"


def file_for(site: str, path: str) -> Path:
    """The file a URL path is served from (query ignored, folders -> index.html)."""
    rel = urlsplit(path).path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return ROOT / site / rel


def text_of(site: str, path: str) -> str:
    return file_for(site, path).read_bytes().decode(SITES[site]["encoding"])


def visible(site: str, path: str) -> str:
    return html.unescape(text_of(site, path))


def profile(site: str) -> dict:
    return substitute_base(read_profile(ROOT / site), BASE)


def matches(patterns: list[str], url: str) -> bool:
    return any(re.search(p, url) for p in patterns)


def test_three_sites_with_forty_articles_or_more():
    assert [p.name for p in site_folders(ROOT)] == sorted(SITES)
    assert len(SITES) >= 3
    counts = {name: len(site["articles"]) for name, site in SITES.items()}
    assert counts["guanxian"] >= 16 and counts["dedecms"] >= 12 and counts["wenda"] >= 12
    assert EXPECTED["total_articles"] == sum(counts.values()) >= 40
    for name, site in SITES.items():
        paths = [a["path"] for a in site["articles"]]
        assert len(paths) == len(set(paths)), f"{name}: an article listed twice"


def test_every_file_named_in_expected_exists():
    for name, site in SITES.items():
        for art in site["articles"]:
            assert art["parts"][0] == art["path"]
            for part in art["parts"]:
                assert file_for(name, part).is_file(), f"{name}{part}"
        paths = {a["path"] for a in site["articles"]}
        for item in site.get("phrases", []) + site.get("comments", []) + site.get("garbled", []):
            assert item["path"] in paths
        for page in site["disallowed"]["pages"]:
            if name == "guanxian":  # a real page sits behind the rule: only robots.txt keeps it out
                assert file_for(name, page).is_file()
        for listing in site["listings"]:
            assert file_for(name, listing).is_file(), f"{name}{listing}"
    dd = SITES["dedecms"]
    paths = {a["path"] for a in dd["articles"]}
    assert dd["multipage"]["path"] in paths and dd["lying_header"]["path"] in paths
    for dup in dd["duplicates"]:
        assert dup["canonical"] in paths and dup["alias"] not in paths
        assert file_for("dedecms", dup["alias"]).is_file()
    assert SITES["guanxian"]["seed"]["path"] in {a["path"] for a in SITES["guanxian"]["articles"]}
    assert SITES["wenda"]["traditional"]["path"] in {a["path"] for a in SITES["wenda"]["articles"]}


def test_missing_and_gone_pages():
    dd = SITES["dedecms"]
    routes = load_routes(ROOT / "dedecms")
    missing, gone = dd["missing"], dd["gone"]
    assert (missing["status"], gone["status"]) == (404, 410)
    assert not file_for("dedecms", missing["path"]).exists() and missing["path"] not in routes
    assert not file_for("dedecms", gone["path"]).exists() and routes[gone["path"]].status == 410
    # both look like articles, so a crawler following the listing really requests them
    article_re = profile("dedecms")["links"]["article"]
    assert matches(article_re, BASE + missing["path"]) and matches(article_re, BASE + gone["path"])


def test_gbk_site_is_gbk_bytes_not_utf8():
    pages = sorted((ROOT / "dedecms").rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        raw = page.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("gbk")  # strict: every byte pair is GBK
        assert 'charset=gb2312"' in text, page
    # GBK is a superset of GB2312 and the site uses it: a strict gb2312 decoder fails on 喆
    phrase_page = file_for("dedecms", "/shouji/2024/0308/1102.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        phrase_page.decode("gb2312")


def test_utf8_sites_are_utf8():
    for name in ("guanxian", "wenda"):
        for page in (ROOT / name).rglob("*.html"):
            assert '<meta charset="utf-8">' in page.read_bytes().decode("utf-8").lower(), page


def test_lying_header_page():
    lie = SITES["dedecms"]["lying_header"]
    route = load_routes(ROOT / "dedecms")[lie["path"]]
    assert route.headers["Content-Type"] == lie["content_type"] == "text/html; charset=utf-8"
    raw = file_for("dedecms", lie["path"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert lie["phrase"] in raw.decode(lie["actual_encoding"])
    assert lie["phrase"] not in raw.decode("utf-8", errors="replace")


def test_robots_disallow_matches_expected():
    for name, site in SITES.items():
        robots = (ROOT / name / "robots.txt").read_text(encoding="ascii")
        disallows = re.findall(r"^Disallow:\s*(\S+)", robots, flags=re.M)
        assert disallows == [site["disallowed"]["rule"]], name
        assert re.search(r"^Sitemap: \{base\}/sitemap\.xml$", robots, flags=re.M)
        assert load_routes(ROOT / name)["/robots.txt"].template
    gx = SITES["guanxian"]["disallowed"]
    page = gx["pages"][0]
    assert page.startswith(gx["rule"])
    # the private page is linked from a listing and looks like an article: only robots.txt stops it
    assert f'href="{page}"' in text_of("guanxian", gx["linked_from"])
    assert matches(profile("guanxian")["links"]["article"], BASE + page)
    sitemap = (ROOT / "guanxian" / "sitemap.xml").read_text(encoding="utf-8")
    assert gx["rule"] not in sitemap


def _links(name: str, path: str) -> list[str]:
    doc = lxml.html.fromstring(text_of(name, path))
    return [a.get("href") for a in doc.iter("a") if a.get("href")]


def test_every_listing_link_resolves():
    checked = 0
    for name, site in SITES.items():
        rule = site["disallowed"]["rule"]
        dead = {site[k]["path"] for k in ("missing", "gone") if k in site}
        seen_dead = set()
        for listing in site["listings"]:
            for href in _links(name, listing):
                if href.startswith(("javascript:", "#", "mailto:")):
                    continue
                url = urljoin(BASE + listing, href)
                if not url.startswith(BASE + "/"):
                    continue  # another site (the CMS vendor's link in a footer)
                path = urlsplit(url).path
                checked += 1
                if path.startswith(rule):
                    continue
                if path in dead:
                    seen_dead.add(path)
                    continue
                assert file_for(name, path).is_file(), f"{name}{listing} links to missing {path}"
        assert seen_dead == dead, name  # the 404 and 410 links really are on a listing
    assert checked > 200


def test_listings_paginate():
    gx = _links("guanxian", "/consult/list_1.html")
    assert "/consult/list_2.html" in gx
    assert re.search(
        r'<a href="/consult/list_2.html">下一页</a>', text_of("guanxian", "/consult/list_1.html")
    )
    assert "/shouji/list_1_2.html" in _links("dedecms", "/shouji/")
    assert "/list/meishi/p2.html" in _links("wenda", "/list/meishi/")
    for name, site in SITES.items():
        links = profile(name)["links"]
        for listing in site["listings"]:
            assert matches(links["listing"], BASE + listing), f"{name}{listing}"
            assert not matches(links["article"], BASE + listing), f"{name}{listing}"
        for art in site["articles"]:
            assert matches(links["article"], BASE + art["path"]), f"{name}{art['path']}"
            assert not matches(links["listing"], BASE + art["path"])


def test_titles_phrases_and_comment_authors():
    for name, site in SITES.items():
        for art in site["articles"]:
            page = visible(name, art["path"])
            assert f"<title>{art['title']}" in page, art["path"]
        for item in site.get("phrases", []):
            assert item["phrase"] in visible(name, item["path"]), item
        for item in site.get("comments", []):
            page = visible(name, item["path"])
            for row in item["rows"]:
                if "role" in row:  # 头像 NAME-ROLE DATE
                    assert f"{row['author']}-{row['role']} {row['published_at']}</p>" in page, row
                else:  # N楼 author date
                    assert re.search(
                        rf'{row["floor"]}楼</span> <a class="user" href="[^"]+">{row["author"]}</a> '
                        rf'<span class="time">{row["published_at"]}</span>',
                        page,
                    ), row
    for item in SITES["guanxian"]["garbled"]:
        assert item["before"] in visible("guanxian", item["path"])
    for item in SITES["guanxian"]["spun_examples"]:
        assert item["spun"] in visible("guanxian", item["path"])


def test_seed_article_title_repeated_in_body():
    seed = SITES["guanxian"]["seed"]
    page = visible("guanxian", seed["path"])
    content = page.split('<div class="content">', 1)[1].split("</div>", 1)[0]
    assert content.count(f"<p>{seed['title']}</p>") == seed["title_repeats_in_body"]["exact"]
    for variant in seed["title_repeats_in_body"]["variants"]:
        assert f"<p>{variant}</p>" in content
    assert f"来源:{seed['source']} 时间:{seed['published_at']}" in page
    assert f"编辑:{seed['editor']}" in page


def test_seed_page_carries_every_line_of_the_real_seed(shared):
    """The demo seed article is the real page of ../shared/seed, line for line."""
    page = visible("guanxian", SITES["guanxian"]["seed"]["path"])
    lines = [
        ln.strip() for ln in (shared / "seed" / "guide-article.txt").read_text(encoding="utf-8").splitlines()
    ]
    lines = [ln for ln in lines if ln]
    assert len(lines) > 60
    for line in lines:
        if line.startswith("头像 "):
            assert 'alt="头像"' in page
            line = line[len("头像 ") :]
        if line.startswith("本文链接:"):
            continue  # the demo's own URL stands there
        assert line in page, line


def test_multipage_article_parts_in_order():
    multi = SITES["dedecms"]["multipage"]
    assert len(multi["parts"]) == len(multi["phrases"]) == 3
    texts = [visible("dedecms", p) for p in multi["parts"]]
    for i, phrase in enumerate(multi["phrases"]):
        for j, text in enumerate(texts):
            assert (phrase in text) == (i == j), (phrase, multi["parts"][j])
    next_page = profile("dedecms")["links"]["next_page"]
    assert not matches(next_page, BASE + multi["parts"][0])
    assert all(matches(next_page, BASE + p) for p in multi["parts"][1:])
    # the pager: 第1页 2 3 下一页 on the first page, linking the parts relatively
    first = text_of("dedecms", multi["parts"][0])
    pager = first.split('<ul class="pagelist">', 1)[1].split("</ul>", 1)[0]
    labels = re.findall(r"<a[^>]*>([^<]+)</a>", pager)
    assert labels == ["共3页: ", "第1页", "2", "3", "下一页"]
    name2 = multi["parts"][1].rsplit("/", 1)[1]
    assert f"<a href='{name2}'>下一页</a>" in pager


def test_duplicates_point_at_one_article():
    for dup in SITES["dedecms"]["duplicates"]:
        if urlsplit(dup["alias"]).query:
            assert file_for("dedecms", dup["alias"]) == file_for("dedecms", dup["canonical"])
        else:
            alias = text_of("dedecms", dup["alias"])
            assert f'<link rel="canonical" href="{dup["canonical"]}" />' in alias
        assert f'href="{html.escape(dup["alias"])}"' in text_of("dedecms", dup["linked_from"])


def test_traditional_page_converts_to_expected_simplified():
    trad = SITES["wenda"]["traditional"]
    page = visible("wenda", trad["path"])
    assert f"<title>{trad['raw_title']}" in page and trad["raw_phrase"] in page
    t2s = opencc.OpenCC("t2s")
    assert t2s.convert(trad["raw_title"]) == trad["title_t2s"] != trad["raw_title"]
    assert t2s.convert(trad["raw_phrase"]) == trad["phrase_t2s"] != trad["raw_phrase"]
    assert [
        t2s.convert(a) for a in re.findall(r'楼</span> <a class="user" href="[^"]+">([^<]+)</a>', page)
    ] == trad["comment_authors_t2s"]
    # every other wenda page is Simplified already: conversion leaves their titles alone
    for art in SITES["wenda"]["articles"]:
        if art["path"] != trad["path"]:
            assert t2s.convert(art["title"]) == art["title"], art["title"]


def test_sitemaps_list_every_canonical_article():
    for name, site in SITES.items():
        sitemap = (ROOT / name / "sitemap.xml").read_text(encoding="utf-8")
        locs = re.findall(r"<loc>\{base\}([^<]+)</loc>", sitemap)
        assert {a["path"] for a in site["articles"]} <= set(locs), name
        assert load_routes(ROOT / name)["/sitemap.xml"].template


def test_committed_files_match_the_generator(tmp_path):
    """Edits go to _src/ and generate.py; the committed pages must be what it writes."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    generated = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert len(generated) > 70
    for rel in generated:
        assert (ROOT / rel).read_bytes() == (tmp_path / rel).read_bytes(), (
            f"{rel} is stale: run data/demo_site/generate.py"
        )
    hand_written = {"generate.py", "site.toml", "README.md"}
    committed = {
        p.relative_to(ROOT)
        for p in ROOT.rglob("*")
        if p.is_file()
        and p.name not in hand_written
        and "_src" not in p.parts
        and "__pycache__" not in p.parts
    }
    assert committed == generated, committed ^ generated
