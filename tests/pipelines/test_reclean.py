"""guidecrawl reclean: archived raw pages re-cleaned offline, derived rows replaced, changes reported."""

from __future__ import annotations

import json

import pytest

from cleaners import cleaner_version
from pipelines import store
from pipelines.commands.reclean import reclean
from pipelines.errors import UserError
from tests.pipelines.warehouse_data import article, page, q, stage

VERSION = cleaner_version()  # the rows name the cleaners that remade them

PART = """<html><head><meta charset="{charset}"><title>如何选择工具_攻略</title></head><body>
<div class="article"><h1>如何选择工具</h1>
<p>{text}这一段内容足够长，用来测试清洗器能否正确地抽取正文，并且保持原来的顺序不变。</p>
<p>再补充一些说明文字，注意安全，保持耐心，按照步骤慢慢来，就一定能够做好这件事情。</p>
</div></body></html>"""


def part(text: str, charset: str = "utf-8") -> bytes:
    return PART.format(text=text, charset=charset).encode(charset)


LEGACY = {
    "kind": "legacy",
    "rule": "old.1",
    "before": "x",
    "after": "y",
    "offset": 0,
    "confidence": 1.0,
    "applied": True,
}


@pytest.fixture
def db(tmp_path):
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    recs = []
    # a three-part article, archived with an outdated cleaning
    for n, t in enumerate(["第一页甲乙丙", "第二页丁戊己", "第三页庚辛壬"], 1):
        recs.append(
            page(
                f"http://a/1_{n}.html",
                raw=part(t),
                outcome="article" if n == 1 else "article_part",
                article_url="http://a/1_1.html",
                part_no=n,
            )
        )
    recs.append(
        article(
            "http://a/1_1.html",
            body="旧的正文",
            repairs=[LEGACY],
            page_urls=[f"http://a/1_{n}.html" for n in (1, 2, 3)],
        )
    )
    # a GBK page on another site
    recs.append(
        page(
            "http://b/2.html",
            raw=part("国标编码页面", "gbk"),
            site="siteB",
            content_type="text/html; charset=gbk",
        )
    )
    recs.append(article("http://b/2.html", body="旧的正文二", site="siteB"))
    # a listing page is not an article: never re-cleaned
    recs.append(page("http://a/list.html", outcome="listing", raw=b"<html>list</html>"))
    stage(st, "w1", recs)
    store.load_stage(st, db)
    return db


def test_reclean_replaces_derived_rows_and_reports_changes(db):
    res = reclean(db, workers=1)
    assert res["articles"] == 2 and res["body_changed"] == 2 and res["skipped_stale"] == 0
    assert res["cleaner_version"] == VERSION
    assert res["repairs_removed"]["legacy"] == 1
    now = dict(q(db, "SELECT kind, count(*) FROM repairs WHERE applied GROUP BY ALL"))
    assert res["repairs_added"] == now  # every repair now present is new
    assert res["repairs_removed"] == {"legacy": 1, "spin": 1}  # a/1 had legacy, b/2 spin.r1

    body = q(db, "SELECT body FROM articles WHERE url = 'http://a/1_1.html'")[0][0]
    i1, i2, i3 = (body.find(t) for t in ("第一页甲乙丙", "第二页丁戊己", "第三页庚辛壬"))
    assert -1 < i1 < i2 < i3, body  # parts merged in part_no order
    assert "国标编码页面" in q(db, "SELECT body FROM articles WHERE site = 'siteB'")[0][0]
    assert q(db, "SELECT count(*) FROM articles") == [(2,)]
    assert q(db, "SELECT DISTINCT run_id, cleaner_version FROM articles") == [(res["run_id"], VERSION)]
    assert q(db, "SELECT count(*) FROM sections WHERE run_id <> ?", [res["run_id"]]) == [(0,)]
    assert q(db, "SELECT count(*) FROM repairs WHERE kind = 'legacy'") == [(0,)]
    run = q(
        db, "SELECT job, status, cleaner_version, counts FROM crawl_runs WHERE run_id = ?", [res["run_id"]]
    )
    assert run[0][:3] == ("reclean", "ok", VERSION)
    assert json.loads(run[0][3]) == {"articles": 2, "body_changed": 2, "skipped_stale": 0}
    # no placeholder run rows were created for the reclean
    assert q(
        db, "SELECT count(*) FROM crawl_runs WHERE status = 'incomplete' AND run_id LIKE 'reclean%'"
    ) == [(0,)]

    # the same cleaners again: nothing changes, with a process pool this time
    again = reclean(db, workers=2)
    assert again["articles"] == 2 and again["body_changed"] == 0
    assert again["repairs_added"] == {} and again["repairs_removed"] == {}


def test_reclean_one_site_leaves_the_others_alone(db):
    res = reclean(db, site="siteB", workers=1)
    assert res["articles"] == 1 and res["body_changed"] == 1
    assert q(db, "SELECT body FROM articles WHERE site = 'siteA'") == [("旧的正文",)]
    assert reclean(db, site="nosuchsite", workers=1)["articles"] == 0


def test_reclean_since_filters_by_fetch_day(db):
    assert reclean(db, since="2030-01-01", workers=1)["articles"] == 0
    assert reclean(db, since="2025-12-31", workers=1)["articles"] == 2
    with pytest.raises(UserError, match="--since wants a date"):
        reclean(db, since="yesterday")


def test_reclean_without_database(tmp_path):
    with pytest.raises(UserError, match="no database at"):
        reclean(tmp_path / "none.duckdb")


def test_reclean_uses_the_sites_extract_profile(tmp_path, monkeypatch):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "picky.toml").write_text('name = "picky"\n[extract]\nbody = "div.real"\n', encoding="utf-8")
    monkeypatch.setenv("GUIDECRAWL_SITES_DIR", str(sites))
    para = "这一段内容足够长，用来测试清洗器能否正确地抽取正文，并且保持原来的顺序不变。"
    html = (
        f"<html><body><div class='other'><p>别的栏目{para}</p><p>别的栏目{para}</p></div>"
        f"<div class='real'><p>真正正文{para}</p></div></body></html>"
    ).encode()
    st, db = tmp_path / "stage", tmp_path / "g.duckdb"
    stage(
        st, "w1", [page("http://p/1.html", raw=html, site="picky"), article("http://p/1.html", site="picky")]
    )
    store.load_stage(st, db)
    reclean(db, workers=1)
    body = q(db, "SELECT body FROM articles")[0][0]
    assert "真正正文" in body and "别的栏目" not in body
