"""``guidecrawl prune`` (stage files already loaded) and ``guidecrawl sites`` (issue 12 item 17)."""

from __future__ import annotations

from pipelines import store
from pipelines.run.jobs import job_dir
from pipelines.run.lock import RunLock
from tests.pipelines.warehouse_data import article, page, stage
from tests.test_cli import assert_user_error, gc


def _jobs(tmp_path):
    db = tmp_path / "g.duckdb"
    a = job_dir(db, "siteA", ["http://a/"]) / "stage"
    stage(a, "w1", [page("http://a/1"), article("http://a/1")])
    store.load_stage(a, db)
    loaded = sorted(a.glob("*.jsonl"))
    stage(a, "w2", [page("http://a/2")])  # staged after the load: not in the database
    (a / "w3-000001.jsonl.part").write_text('{"type": "page"}\n')  # a writer still at work
    b = job_dir(db, "siteB", ["http://b/"]) / "stage"
    stage(b, "w1", [page("http://b/1", site="siteB")])
    store.load_stage(b, db)
    return db, a, b, loaded


def test_prune_deletes_only_loaded_files(tmp_path):
    db, a, b, loaded = _jobs(tmp_path)
    before = sorted(p.name for p in a.iterdir()) + sorted(p.name for p in b.iterdir())
    r = gc("prune", "--db", str(db), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "would delete 2 loaded stage file(s)" in r.stdout and str(loaded[0]) in r.stdout
    assert sorted(p.name for p in a.iterdir()) + sorted(p.name for p in b.iterdir()) == before
    r = gc("prune", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "deleted 2 loaded stage file(s)" in r.stdout and "kept 1" in r.stdout
    assert sorted(p.name for p in a.iterdir()) == ["w2-000001.jsonl", "w3-000001.jsonl.part"]
    assert list(b.iterdir()) == []
    # the database still has everything; the kept file still loads
    assert store.load_stage(a, db, publish_orphans=False)["pages"] == 1


def test_prune_skips_a_running_job_and_says_so(tmp_path):
    db, a, b, _ = _jobs(tmp_path)
    with RunLock(a.parent / "crawl.lock", name="siteA"):
        r = gc("prune", "--db", str(db))
    assert r.returncode == 1
    assert "skipped" in r.stderr and "siteA" in r.stderr
    assert any(a.glob("w1-*.jsonl"))  # the running job's files are untouched
    assert list(b.iterdir()) == []


def test_prune_other_database_keeps_files(tmp_path):
    db, a, _, _ = _jobs(tmp_path)
    other = tmp_path / "other.duckdb"
    (tmp_path / "empty").mkdir()
    store.load_stage(tmp_path / "empty", other)
    r = gc("prune", "--db", str(other), "--stage", str(a))
    assert r.returncode == 0, r.stderr
    assert "deleted 0" in r.stdout and any(a.glob("w1-*.jsonl"))


def test_prune_without_database(tmp_path):
    assert_user_error(gc("prune", "--db", str(tmp_path / "none.duckdb")), 2, "no database")


def test_sites_lists_profiles_with_what_they_match_and_the_demo_sites_apart():
    r = gc("sites")
    assert r.returncode == 0, r.stderr
    profiles, demo = r.stdout.split("Demo sites")
    assert "crawl --site NAME" in profiles
    assert "dedecms_farm" in profiles and "domains: dedecms-farm.example" in profiles
    assert "article: /question/" in profiles
    for name in ("dedecms", "guanxian", "wenda"):
        assert f"  {name} " in demo
        assert f"  {name} " not in profiles
    assert "guidecrawl demo" in demo


def test_crawl_site_with_a_demo_name_says_it_is_a_demo_site(tmp_path):
    assert_user_error(
        gc("crawl", "--site", "wenda", "--db", str(tmp_path / "x.duckdb")), 2, "demo site", "qa_site"
    )
