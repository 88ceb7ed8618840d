"""decode_html: BOM, header, meta, mislabels, corrupt bytes, undecodable input."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.decode import decode_html

PAGE = "<html><head>{meta}<title>京东逾期解冻全攻略</title></head><body><p>客户未能按期偿还账单时，账户可能被冻结。</p></body></html>"


def page(meta: str = "") -> str:
    return PAGE.format(meta=meta)


def test_utf8_bom_wins_over_labels():
    raw = b"\xef\xbb\xbf" + page('<meta charset="gbk">').encode("utf-8")
    d = decode_html(raw, "gbk")
    assert d.encoding == "utf-8"
    assert "京东逾期解冻全攻略" in d.text
    assert "byte-order mark" in d.reason


def test_header_charset_is_used_when_it_decodes():
    raw = page().encode("gb18030")
    d = decode_html(raw, "gbk")
    assert d.encoding == "gb18030"
    assert "账户可能被冻结" in d.text
    assert "header gbk" in d.reason


def test_meta_charset_when_no_header():
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    d = decode_html(raw)
    assert d.encoding == "gb18030" and "账户可能被冻结" in d.text
    assert "meta gb2312" in d.reason


def test_gbk_bytes_labelled_utf8_in_header_are_redecoded():
    raw = page('<meta charset="utf-8">').encode("gbk")
    d = decode_html(raw, "utf-8")
    assert d.encoding == "gb18030"
    assert "账户可能被冻结" in d.text and "\ufffd" not in d.text
    assert "header utf-8 failed" in d.reason and "gb18030 clean" in d.reason


def test_gbk_bytes_labelled_latin1_are_redecoded():
    raw = page().encode("gbk")
    d = decode_html(raw, "ISO-8859-1")
    assert d.encoding == "gb18030"
    assert "京东逾期解冻全攻略" in d.text
    assert "mislabel" in d.reason


def test_gb2312_label_decodes_gbk_only_characters():
    # 镕 and 堃 are not in GB2312; pages labelled gb2312 use them anyway (GBK/GB18030 superset)
    raw = page('<meta charset="gb2312">').replace("京东", "朱镕基堃").encode("gbk")
    d = decode_html(raw)
    assert "朱镕基堃" in d.text and d.replaced == 0


def test_utf8_bytes_labelled_gb2312_stay_utf8():
    raw = page('<meta charset="gb2312">').encode("utf-8")
    d = decode_html(raw)
    assert d.encoding == "utf-8" and "京东逾期解冻全攻略" in d.text
    assert "bytes are valid UTF-8" in d.reason


def test_few_corrupt_bytes_keep_the_good_text():
    good = page('<meta charset="gb2312">').encode("gbk")
    cut = good.index("账户".encode("gbk"))
    raw = good[:cut] + b"\xff" + good[cut:] + b"\x80"  # bytes that are never valid in GBK
    d = decode_html(raw)
    assert d.ok and d.encoding == "gb18030"
    assert "京东逾期解冻全攻略" in d.text and "账户可能被冻结" in d.text
    assert d.replaced == 2
    assert "replaced" in d.reason


def test_cwced_wrapper_label_is_honoured():
    raw = b'<text id="http://x.cn/1.html" title="t" encoding="gb2312">\n' + page().encode("gbk")
    d = decode_html(raw)
    assert d.encoding == "gb18030" and "wrapper gb2312" in d.reason


def test_binary_is_undecodable():
    d = decode_html(bytes(range(256)) * 40)
    assert not d.ok and d.text == ""
    assert d.reason


def test_empty_input():
    d = decode_html(b"")
    assert not d.ok and d.reason == "empty page"


def test_plain_ascii():
    d = decode_html(b"<html><body><p>hello</p></body></html>", "utf-8")
    assert d.ok and d.text.endswith("</html>") and d.encoding == "utf-8"


def test_shared_pages_decode_cleanly(shared):
    """Every shared page decodes to text with its gold's opening characters in it."""
    for line in (shared / "pages" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)
        d = decode_html((shared / "pages" / m["html"]).read_bytes())
        assert d.ok, m["id"]
        assert d.replaced <= 12, (m["id"], d.reason)
        gold = (shared / "pages" / m["gold"]).read_text(encoding="utf-8")
        cjk = [c for c in gold if "\u4e00" <= c <= "\u9fff"][:30]
        hits = sum(1 for c in cjk if c in d.text)
        assert hits >= 0.9 * len(cjk), (m["id"], d.reason)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "utf-8", "gbk", "iso-8859-1", "big5", "nonsense-x"]))
def test_never_raises(raw, declared):
    d = decode_html(raw, declared)
    assert isinstance(d.text, str) and isinstance(d.reason, str)
