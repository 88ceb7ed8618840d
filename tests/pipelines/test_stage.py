"""Stage files: durable per record, published atomically, orphans of dead writers recovered,
live writers' files never taken from under them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from crawler.stage import StageWriter, pack_raw, read_records, recover_orphans, stage_files, unpack_raw


def test_records_roundtrip_and_rotation(tmp_path):
    with StageWriter(tmp_path, "w1", max_records=2) as w:
        for i in range(5):
            w.write({"type": "page", "url": f"http://x/{i}", "raw": pack_raw(b"<p>%d</p>" % i)})
    files = stage_files(tmp_path)
    assert [f.name for f in files] == ["w1-000001.jsonl", "w1-000002.jsonl", "w1-000003.jsonl"]
    recs = [r for f in files for r in read_records(f)]
    assert [r["url"] for r in recs] == [f"http://x/{i}" for i in range(5)]
    assert unpack_raw(recs[3]["raw"]) == b"<p>3</p>"
    assert not list(tmp_path.glob("*.part"))


def test_a_new_writer_continues_the_sequence(tmp_path):
    with StageWriter(tmp_path, "w1") as w:
        w.write({"type": "page", "url": "a"})
    with StageWriter(tmp_path, "w1") as w:
        w.write({"type": "page", "url": "b"})
    assert [f.name for f in stage_files(tmp_path)] == ["w1-000001.jsonl", "w1-000002.jsonl"]


def test_live_writer_file_is_not_published_but_a_killed_one_is(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {os.getcwd()!r})
        from crawler.stage import StageWriter
        w = StageWriter({str(tmp_path)!r}, "victim")
        w.write({{"type": "page", "url": "http://x/1"}})
        w.write({{"type": "page", "url": "http://x/2"}})
        w._fh.write(b'{{"type": "page", "url": "http://x/torn')  # a torn line, as a kill mid-write leaves
        w._fh.flush()
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert recover_orphans(tmp_path) == []  # alive: left alone
        assert len(list(tmp_path.glob("*.jsonl.part"))) == 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        published = recover_orphans(tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [p.name for p in published] == ["victim-000001.jsonl"]
    assert [r["url"] for r in read_records(published[0])] == ["http://x/1", "http://x/2"]  # torn line dropped


def test_an_empty_orphan_is_removed(tmp_path):
    (tmp_path / "w9-000001.jsonl.part").write_text("")
    assert recover_orphans(tmp_path) == []
    assert not list(tmp_path.iterdir())
