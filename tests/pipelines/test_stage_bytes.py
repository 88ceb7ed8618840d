"""Stage files are published by size as well as by record count, so a file of big pages never
grows past what the end-of-crawl DuckDB load reads in one go."""

from __future__ import annotations

from crawler.stage import StageWriter, read_records, stage_files


def test_files_rotate_by_bytes_before_the_record_limit(tmp_path):
    body = "汉" * 1000  # 3,000 bytes in UTF-8: bytes are counted, not characters
    with StageWriter(tmp_path, "w1", max_records=1000, max_bytes=10_000) as w:
        for i in range(10):
            w.write({"type": "page", "url": f"http://x/{i}", "reason": body})
    files = stage_files(tmp_path)
    # each record is ~3,050 bytes: the 4th crosses 10,000, so a file holds 4 records
    assert [len(list(read_records(f))) for f in files] == [4, 4, 2]
    assert all(f.stat().st_size < 10_000 + 3_100 for f in files)
    assert [r["url"] for f in files for r in read_records(f)] == [f"http://x/{i}" for i in range(10)]
    assert [r["reason"] for r in read_records(files[0])] == [body] * 4


def test_record_limit_still_applies_to_small_records(tmp_path):
    with StageWriter(tmp_path, "w1", max_records=3) as w:
        for i in range(7):
            w.write_line(f'{{"type":"page","url":"u{i}"}}\n')
    assert [len(list(read_records(f))) for f in stage_files(tmp_path)] == [3, 3, 1]


def test_packed_raw_unpacks_with_the_standard_zlib(shared):
    # The archive's contract (pages.raw: "zlib.decompress to get them back") holds for what the
    # faster ISA-L deflate packs: every real page, empty, incompressible and 2 MB bodies.
    import base64
    import json
    import os
    import zlib

    from crawler import stage

    assert stage._compress.__module__ == "isal.isal_zlib"  # a dependency: the fast path is the one used
    bodies = [b"", b"x", os.urandom(70_000), "汉字".encode() * 700_000]
    for sub in ("pages", "pages-more"):
        for line in (shared / sub / "manifest.jsonl").read_text("utf-8").splitlines()[:200]:
            if line.strip():
                bodies.append((shared / sub / json.loads(line)["html"]).read_bytes())
    packed_total = raw_total = 0
    for body in bodies:
        packed = stage.pack_raw(body)
        assert zlib.decompress(base64.b64decode(packed)) == body
        assert stage.unpack_raw(packed) == body
        packed_total += len(packed)
        raw_total += len(body)
    assert packed_total < 0.5 * raw_total  # still compressed (base64 adds a third)
