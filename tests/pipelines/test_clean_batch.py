"""Cleaning in worker processes: several articles per task, each article's stage record built and
serialized by the worker (``pipelines.item.workers``), and the stage writer's pre-serialized
lines.  The crawl tests (tests/crawler) run the same code through real process pools."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from crawler.stage import StageWriter, read_records, stage_files, unpack_raw
from pipelines.item.workers import (
    CLEAN_NICE,
    _init_worker,
    _mp_context,
    article_result,
    clean_article,
    clean_batch,
    stop_fork_server,
)
from tests.crawler.sitekit import PARAGRAPHS, article_html

FIELDS = {"run_id": "r1", "site": "farm", "content_hash": "abc", "reason": ""}


def page(title: str, url: str) -> tuple[bytes, str, str | None]:
    return (article_html(title, PARAGRAPHS).encode("utf-8"), url, "utf-8")


def test_batch_results_in_order_with_records_ready_to_stage():
    jobs = [
        (
            [page("第一篇攻略", "http://farm/a/1.html")],
            None,
            {**FIELDS, "page_urls": ["http://farm/a/1.html"]},
        ),
        (
            [page("第二篇攻略", "http://farm/a/2.html")],
            None,
            {**FIELDS, "page_urls": ["http://farm/a/2.html"]},
        ),
    ]
    out = clean_batch(jobs)
    assert len(out) == 2
    for (parts, _, fields), res in zip(jobs, out, strict=True):
        assert res["line"].endswith("\n") and res["line"].count("\n") == 1
        rec = json.loads(res["line"])
        # the record is what the item pipeline wrote before the work moved to the worker
        assert rec["type"] == "article" and rec["run_id"] == "r1" and rec["site"] == "farm"
        assert rec["page_urls"] == fields["page_urls"] and rec["content_hash"] == "abc"
        assert rec["url"] == parts[0][1] and rec["status"] == "ok"
        assert rec["cleaner_version"]
        assert res["counts"] == {"articles": 1}  # an ok article with a title and a body
        assert res["drops"] == {}
        assert res["encoding"] == rec["encoding"] == "utf-8"
        assert [unpack_raw(r) for r in res["raws"]] == [parts[0][0]]
    assert [json.loads(r["line"])["title"] for r in out] == ["第一篇攻略", "第二篇攻略"]
    # the same article cleaned without record fields: the plain result, same cleaned article
    plain = clean_article(*jobs[0][:2])
    rec = json.loads(out[0]["line"])
    assert plain["article"]["body"] == rec["body"] and plain["article"]["title"] == rec["title"]


def test_record_keeps_the_cleaners_reason_and_counts_failures():
    article = {"url": "http://farm/a/3.html", "status": "error", "reason": "", "title": "", "body": ""}
    res = article_result(
        dict(article), "", [], {**FIELDS, "page_urls": ["u"], "reason": "incomplete: page 2"}
    )
    rec = json.loads(res["line"])
    assert rec["reason"] == "incomplete: page 2"  # the spider's reason when the cleaner gave none
    assert res["counts"] == {"articles": 1, "articles_error": 1, "empty_body": 1, "no_title": 1}
    own = article_result(
        {**article, "reason": "cleaner failed: X"}, "", [], {**FIELDS, "page_urls": ["u"], "reason": "y"}
    )
    assert json.loads(own["line"])["reason"] == "cleaner failed: X"


def test_undecodable_bytes_never_raise():
    res = clean_batch(
        [
            (
                [(b"\xff\xfe\x00garbage" * 10, "http://farm/a/4.html", None)],
                None,
                {**FIELDS, "page_urls": ["u"]},
            )
        ]
    )
    rec = json.loads(res[0]["line"])
    assert rec["url"] == "http://farm/a/4.html" and rec["status"] in ("ok", "empty", "undecodable", "error")


def test_writer_appends_serialized_lines_among_records(tmp_path):
    with StageWriter(tmp_path, "w1", max_records=2) as w:
        w.write({"type": "page", "url": "a"})
        w.write_line('{"type":"article","url":"b","title":"标题"}\n')
        w.write({"type": "page", "url": "c"})
    recs = [r for f in stage_files(tmp_path) for r in read_records(f)]
    assert [(r["type"], r["url"]) for r in recs] == [("page", "a"), ("article", "b"), ("page", "c")]
    assert len(stage_files(tmp_path)) == 2  # pre-serialized lines count towards rotation


@pytest.mark.parametrize("bad", ['{"a":1}', '{"a":1}\n{"b":2}\n', ""])
def test_writer_refuses_what_is_not_one_line(tmp_path, bad):
    with StageWriter(tmp_path, "w1") as w, pytest.raises(ValueError):
        w.write_line(bad)


def test_cleaning_processes_run_below_the_crawler_and_the_fork_server_stops():
    ctx = _mp_context()
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["pipelines.item.workers"])
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker) as pool:
        worker_nice = pool.submit(os.nice, 0).result()
        jobs = [([page("大理古城旅游攻略", "http://farm/a/5.html")], None, {**FIELDS, "page_urls": ["u"]})]
        in_worker = pool.submit(clean_batch, jobs).result()
    assert in_worker == clean_batch(jobs)  # the same record, cleaned in another process
    assert worker_nice == min(19, os.nice(0) + CLEAN_NICE)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        server = forkserver._forkserver._forkserver_pid
        assert server is not None and os.path.exists(f"/proc/{server}")
        stop_fork_server()
        assert forkserver._forkserver._forkserver_pid is None
        assert not os.path.exists(f"/proc/{server}")  # gone (and reaped), not left for the load


def test_warm_worker_freezes_the_cleaner_out_of_the_gc():
    """A cleaning process's modules and tables are built once and kept: after the warm-up they are
    out of the cyclic GC's generations (gc.freeze), so collections walk only the articles' objects."""
    import gc

    from pipelines.item import workers

    gc.unfreeze()
    try:
        workers._warm_worker()
        assert gc.get_freeze_count() > 0
        art, _ = workers.clean_one([(workers.WARM_PAGE, "http://warm.invalid/1.html", "utf-8")], None, 0)
        assert art.status == "ok" and art.body  # the frozen cleaner still cleans
    finally:
        gc.unfreeze()


def test_batch_hands_free_heap_back_and_runs_without_glibc(monkeypatch):
    # a cleaning process returns glibc's free heap after each batch (the fragmentation pages
    # leave, counted in the crawl's PSS); where there is no malloc_trim (not glibc) it cleans alike
    from pipelines.item import workers

    calls: list[int] = []
    monkeypatch.setattr(workers, "_TRIM", calls.append)
    job = (
        [page("第一篇攻略", "http://farm/a/1.html")],
        None,
        {**FIELDS, "page_urls": ["http://farm/a/1.html"]},
    )
    first = clean_batch([job, job])
    assert calls == [0]
    monkeypatch.setattr(workers, "_TRIM", None)
    assert [r["line"] for r in clean_batch([job, job])] == [r["line"] for r in first]
    workers._fixed_mmap_threshold()  # glibc's mallopt where there is one; never raises
