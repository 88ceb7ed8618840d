"""The learned edge-line model (cleaners/boilerplate.py _edge_pass, data/edge_model.toml): what it
removes at the ends of a body, what it must leave, and that it stays a recorded, replayable,
fixed-point step."""

from __future__ import annotations

import tomllib

import pytest

from cleaners import boilerplate as bp
from cleaners.boilerplate import (
    EDGE_FEATURES,
    edge_features,
    edge_model,
    edge_probability,
    edge_walk,
    strip_boilerplate,
)
from cleaners.model import apply_repairs, sequential
from cleaners.page import clean_page

PROSE = [
    "京东是京东金融推出的一款消费信贷产品，它为客户提供了一种便捷的支付形式。",
    "客户只需保障还款金额准确无误，并耐心等待应对，通常两小时内账户就会恢复。",
    "如果账户长时间没有解冻，客户应主动联系客服，说明情况并提供身份证明。",
]

# sign-offs, source lines and site plugs worded the way sites word them, none matched by a rule
SIGN_OFFS = [
    "(本文来源：京华时报)",
    "（責任編輯：年巍）",
    "(李沐阳 编辑)",
    "【2012/01/12 聯合晚報】@ http://udn.com/",
    "[稿源：红网]",
    "Facebook 馬上按讚 加入台視新聞粉絲團",
]


def _strip(lines: list[str]) -> tuple[str, list]:
    text = "\n".join(lines)
    s = strip_boilerplate(text)
    assert apply_repairs(text, sequential(s.edits)) == s.text  # every removal replays
    return s.text, s.edits


def test_shipped_model_loads_and_says_where_it_comes_from(repo):
    m = edge_model()
    assert m is not None and m.id == "edge-model"
    assert len(m.tail) == len(m.head) == len(EDGE_FEATURES)
    d = tomllib.loads((repo / "data" / "edge_model.toml").read_text(encoding="utf-8"))
    assert d["reason"] and tuple(d["features"]) == EDGE_FEATURES
    prov = d["provenance"]
    import bench.extract as bench

    # trained on the tuning part of the bench's own split, nothing else
    assert prov["split_seed"] == bench.SPLIT_SEED and prov["tuning_share"] == bench.TUNING_SHARE
    assert "tuning part" in prov["trained_on"] and prov["pages"] > 100


@pytest.mark.parametrize("line", SIGN_OFFS)
def test_a_sign_off_at_the_end_goes(line):
    text, edits = _strip([*PROSE, line])
    assert text == "\n".join(PROSE)
    assert [e[4] for e in edits] == ["edge-model"] and edits[0][3] == "boilerplate"


def test_two_sign_off_lines_go_together_and_the_top_is_walked_too():
    text, _ = _strip(["（文/赵勇）", *PROSE, "作者：毛磊", "(本文来源：京华时报)"])
    assert text == "\n".join(PROSE)


@pytest.mark.parametrize(
    "last",
    [
        "以上就是京东逾期解冻的全部方法，希望对大家有所帮助。",  # a closing sentence
        "祝大家早日解冻。",  # short, but a sentence
        # sentences that mention a social page, an SMS number or a tip: not a site's notice
        "网友纷纷在微博上关注此事，并呼吁有关部门尽快调查。",
        "用户可发送短信到10086查询余额。",
        "温馨提示：解冻后请及时还款，以免再次冻结。",
    ],
)
def test_a_closing_sentence_stays(last):
    assert _strip([*PROSE, last])[0] == "\n".join([*PROSE, last])


# Site notices written as whole sentences: a notice under a label of its own, an SMS subscription
# and a call to follow the site's social page.  (The first model kept them: they read as prose.)
@pytest.mark.parametrize(
    "notice",
    [
        "网易声明：网易转载上述内容出于传递更多信息之目的，不表明证实其描述或赞同其观点。",
        "免責聲明：本文所載資料僅供參考，並不構成投資建議。",
        "手机读报，精彩随身，移动用户发送RMRB到10658000，订阅人民日报手机报。",
        "本站現已開設Facebook專頁，讓你即時掌握最新資訊，與朋友分享。",
        "欢迎关注我们的微信公众号，获取更多攻略。",
    ],
)
def test_a_site_notice_written_as_a_sentence_goes(notice):
    text, edits = _strip([*PROSE, notice])
    assert text == "\n".join(PROSE)
    assert [e[4] for e in edits] == ["edge-model"]


def test_a_weak_line_inside_a_run_of_chrome_goes_with_it():
    # 更多精彩内容 alone is not sure enough to go, but the run around it is chrome as a whole
    text, _ = _strip([*PROSE, "附件下载", "更多精彩内容", "(本文来源：京华时报)"])
    assert text == "\n".join(PROSE)
    # ... and with nothing beyond it, it stays: only the sign-off goes
    text, _ = _strip([*PROSE, "更多精彩内容", "(本文来源：京华时报)"])
    assert text == "\n".join([*PROSE, "更多精彩内容"])


def test_a_closing_quote_above_a_single_sign_off_stays():
    text, _ = _strip([*PROSE, "他说：“我们会继续关注。”", "(本文来源：京华时报)"])
    assert text == "\n".join([*PROSE, "他说：“我们会继续关注。”"])


def test_a_long_run_of_short_lines_is_a_list_of_the_article_and_stays():
    items = [f"[稿源：{name}]" for name in "甲乙丙丁戊己庚辛壬癸"]  # more than the walk may take
    body = [*PROSE, *items]
    assert edge_walk(body[::-1], edge_model().tail, edge_model().threshold, 8, 300) == 0
    assert _strip(body)[0] == "\n".join(body)


def test_one_line_is_never_removed():
    assert _strip(["(本文来源：京华时报)"])[0] == "(本文来源：京华时报)"
    assert edge_walk(["(本文来源：京华时报)"], edge_model().tail, 0.0, 8, 300) == 0


def test_a_line_longer_than_max_len_stops_the_walk():
    m = edge_model()
    long_plug = "Facebook 馬上按讚 " * 40
    assert edge_walk([long_plug, *PROSE], m.tail, 0.0, 8, m.max_len) == 0


def test_cleaning_the_cleaned_body_again_removes_nothing_more():
    for body in (
        [*PROSE, "（文/赵勇）", *SIGN_OFFS[:3]],
        ["[稿源：红网]", *PROSE, "3. 联系京东客服"],
        [
            *PROSE,
            "他说：“我们会继续关注。”",
            "更多精彩内容",
            "附件下载",
            "更多精彩内容",
            "(本文来源：京华时报)",
        ],
        ["更多精彩内容", "附件下载", *PROSE, "更多精彩内容", "(本文来源：京华时报)"],
    ):
        once = _strip(body)[0]
        assert _strip(once.split("\n"))[0] == once


def test_features_are_the_line_alone_and_traditional_reads_as_simplified():
    assert edge_features("（責任編輯：年巍）") == edge_features("（责任编辑：年巍）")
    assert len(edge_features("")) == len(EDGE_FEATURES)  # an empty line does not raise


def test_switched_off_or_missing_model_changes_nothing(monkeypatch, tmp_path):
    body = [*PROSE, "(本文来源：京华时报)"]
    monkeypatch.setattr(bp, "EDGE_ON", False)
    assert _strip(body)[0] == "\n".join(body)
    monkeypatch.setattr(bp, "EDGE_ON", True)
    # weights made for another feature list mean nothing: no model
    bad = tmp_path / "edge_model.toml"
    bad.write_text('id = "x"\nfeatures = ["bias"]\nthreshold = 0.5\nmax_len = 300\n', encoding="utf-8")
    monkeypatch.setattr(bp, "read_toml", lambda *_: tomllib.loads(bad.read_text(encoding="utf-8")))
    bp.edge_model.cache_clear()
    try:
        assert edge_model() is None
        assert _strip(body)[0] == "\n".join(body)
        bad.write_text("not toml [", encoding="utf-8")
        bp.edge_model.cache_clear()
        assert edge_model() is None
    finally:
        bp.edge_model.cache_clear()


def test_probability_is_bounded():
    m = edge_model()
    assert 0.0 < edge_probability(m.tail, [1e9] * len(EDGE_FEATURES)) <= 1.0
    assert 0.0 <= edge_probability(m.tail, [-1e9] * len(EDGE_FEATURES)) < 1.0


# ------------------------------------------------------------------ real pages, as the crawler hands them over


def _through_scrapy(path, url="https://news.example.cn/a.html"):
    from scrapy.http import HtmlResponse

    resp = HtmlResponse(url=url, body=path.read_bytes(), headers={"Content-Type": "text/html"})
    return clean_page(resp.body, resp.url)


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        ("20111215_news.163.com_5194a8b3cb", "(本文来源：京华时报)"),
        ("20120112_udn.com_342af737e1", "http://udn.com/"),
        ("20120117_news.cnyes.com_2db0d93e96", "責任編輯"),
    ],
)
def test_real_pages_lose_their_sign_off_and_keep_their_last_paragraph(shared, name, removed):
    """Tuning-part pages of ../shared/pages-more (the held-out part is never used in tests)."""
    base = shared / "pages-more" / "daniel-zh"
    art = _through_scrapy(base / f"{name}.html")
    gold_last = (base / f"{name}.gold.txt").read_text(encoding="utf-8").strip().splitlines()[-1]
    gone = [r for r in art.repairs if r.rule == "edge-model"]
    assert gone and removed in "".join(r.before for r in gone)
    assert removed not in art.body
    # the story's own last paragraph (Traditional on some sites: compare the first characters after t2s)
    from cleaners.chinese import to_simplified

    assert to_simplified(gold_last)[:20] in to_simplified(art.body.splitlines()[-1])
    assert apply_repairs(art.extracted_text, art.repairs) == art.body


@pytest.mark.parametrize(
    "heading", ["一、京东概述", "(二)人工解冻", "3. 联系京东客服", "第三部分：返程前记得寄明信片", "第二步"]
)
def test_a_numbered_heading_stops_the_walk_whatever_the_model_says(heading):
    m = edge_model()
    # threshold 0: the model would take every line; the heading still stops the walk
    assert edge_walk([heading, *PROSE], m.head, 0.0, 8, m.max_len) == 0
    assert edge_walk(["(本文来源：京华时报)", heading, *PROSE], m.tail, 0.0, 8, m.max_len) == 1


def _modelled_page(last_lines: list[str]) -> bytes:
    paras = [
        "本报讯 昨日上午，市交通局召开新闻发布会，通报了今年春运期间全市道路交通的总体情况和主要措施。",
        "据介绍，今年春运期间全市预计发送旅客八百万人次，比去年同期增长百分之六，其中铁路发送量增幅最大。",
        "交通局有关负责人表示，将在主要客运站增开临时售票窗口，并加派志愿者引导旅客有序进站乘车。",
    ]
    body = "".join(f"<p>{x}</p>" for x in [*paras, *last_lines])
    return (
        "<html><head><meta charset='utf-8'><title>春运客流预计增长六成_本地新闻</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/local'>本地</a></div>"
        f"<h1>春运客流预计增长六成</h1><div class='content'>{body}</div>"
        "<div class='footer'>关于我们 | 联系我们</div></body></html>"
    ).encode()


def test_modelled_page_loses_its_notice_run_and_keeps_its_last_paragraph():
    from scrapy.http import HtmlResponse

    notices = [
        "本网声明：本网转载上述内容出于传递更多信息之目的，不表明证实其描述或赞同其观点。",
        "欢迎关注我们的微信公众号，获取更多本地资讯。",
    ]
    resp = HtmlResponse(url="https://news.example.cn/a.html", body=_modelled_page(notices))
    art = clean_page(resp.body, resp.url)
    assert art.body.splitlines()[-1].startswith("交通局有关负责人表示")
    assert not any(n[:6] in art.body for n in notices)
    gone = "".join(r.before for r in art.repairs if r.rule == "edge-model")
    assert all(n in gone for n in notices)


def test_modelled_page_whose_last_paragraph_mentions_weibo_keeps_it():
    from scrapy.http import HtmlResponse

    last = "不少网友在微博上关注此事，并希望有关部门继续做好春运期间的服务保障工作。"
    resp = HtmlResponse(url="https://news.example.cn/b.html", body=_modelled_page([last]))
    art = clean_page(resp.body, resp.url)
    assert art.body.splitlines()[-1] == last


# ------------------------------------------------------------------ where the line sat in the page
#
# A page being cleaned hands the edge model, per line, where it sat (cleaners.extract
# _facts_features: link share, another kind of child of the article block than its prose's, in
# <p>, in a list item, in a heading) and the model's [where] weights read it; text alone gets the
# text weights, unchanged.


def _page_with_last(last_html: str) -> bytes:
    paras = [
        "本报讯 昨日上午，市交通局召开新闻发布会，通报了今年春运期间全市道路交通的总体情况和主要措施。",
        "据介绍，今年春运期间全市预计发送旅客八百万人次，比去年同期增长百分之六，其中铁路发送量增幅最大。",
        "交通局有关负责人表示，将在主要客运站增开临时售票窗口，并加派志愿者引导旅客有序进站乘车。",
    ]
    body = "".join(f"<p>{x}</p>" for x in paras) + last_html
    return (
        "<html><head><meta charset='utf-8'><title>春运客流预计增长六成_本地新闻</title></head><body>"
        f"<h1>春运客流预计增长六成</h1><div class='content'>{body}</div>"
        "<div class='footer'>关于我们 | 联系我们</div></body></html>"
    ).encode()


def _clean_modelled(last_html: str):
    from scrapy.http import HtmlResponse

    resp = HtmlResponse(url="https://news.example.cn/c.html", body=_page_with_last(last_html))
    return clean_page(resp.body, resp.url)


# lines the text weights keep (a sentence, short): the page says whether they are the site's
NOTES = ["转载请注明出处。", "以上内容仅供参考。", "图片来自网络"]


@pytest.mark.parametrize("note", NOTES)
def test_a_note_in_a_box_of_its_own_under_the_prose_goes(note):
    art = _clean_modelled(f"<div class='note'>{note}</div>")
    assert art.body.splitlines()[-1].startswith("交通局有关负责人表示")
    assert note in "".join(r.before for r in art.repairs if r.rule == "edge-model")
    assert apply_repairs(art.extracted_text, art.repairs) == art.body
    # the same line as text alone (a cleaned body cleaned again): the text weights keep it
    assert _strip([*PROSE, note])[0] == "\n".join([*PROSE, note])


@pytest.mark.parametrize("note", NOTES)
def test_the_same_line_written_as_a_paragraph_of_the_prose_stays(note):
    art = _clean_modelled(f"<p>{note}</p>")
    assert art.body.splitlines()[-1] == note


def test_cleaning_the_cleaned_page_again_removes_nothing_more():
    first = _clean_modelled("<div class='note'>转载请注明出处。</div>")
    paras = "".join(f"<p>{x}</p>" for x in first.body.splitlines())
    page = (
        "<html><head><meta charset='utf-8'><title>春运客流预计增长六成</title></head><body>"
        f"<h1>春运客流预计增长六成</h1><div class='content'>{paras}</div></body></html>"
    ).encode()
    assert clean_page(page, "https://news.example.cn/c.html").body == first.body


def test_where_features_follow_the_markup():
    from lxml import html

    from cleaners.extract import _facts_features, block_lines

    root = html.fromstring(
        "<div><p>第一段正文，讲述事情的经过。</p><p>第二段 <a href='/x'>链接文字</a></p>"
        "<ul><li>列表一项</li></ul><h3>小标题</h3><div class='note'>转载请注明出处。</div>"
        "正文里的一行<br>另一行</div>"
    )
    facts: list = []
    lines = block_lines(root, facts=facts)
    assert lines == [
        "第一段正文，讲述事情的经过。",
        "第二段 链接文字",
        "列表一项",
        "小标题",
        "转载请注明出处。",
        "正文里的一行",
        "另一行",
    ]
    feats = dict(zip(lines, _facts_features(lines, facts), strict=True))
    # (link share, off the main child, in <p>, in a list item, in a heading)
    assert feats["第一段正文，讲述事情的经过。"] == (0.0, -1.0, 1.0, 0.0, 0.0)
    assert feats["第二段 链接文字"][0] == pytest.approx(4 / 7)
    assert feats["列表一项"] == (0.0, 1.0, -1.0, 1.0, 0.0)
    assert feats["小标题"] == (0.0, 1.0, -1.0, 0.0, 1.0)
    assert feats["转载请注明出处。"] == (0.0, 1.0, -1.0, 0.0, 0.0)
    assert feats["另一行"] == (0.0, 1.0, -1.0, 0.0, 0.0)  # text of the block itself
    # a block of one kind of child: nothing to tell apart
    one = html.fromstring("<div><p>甲段。</p><p>乙段。</p></div>")
    facts = []
    lines = block_lines(one, facts=facts)
    assert [f[1] for f in _facts_features(lines, facts)] == [0.0, 0.0]
    # asking for the facts changes no line
    assert block_lines(root) == block_lines(root, facts=[])


def test_a_model_file_without_where_weights_serves_pages_with_the_text_weights(monkeypatch):
    from cleaners.data import read_toml

    d = read_toml("edge_model.toml")
    assert edge_model().where_tail is not None
    assert "转载请注明出处。" not in _clean_modelled("<div class='note'>转载请注明出处。</div>").body
    monkeypatch.setattr(bp, "read_toml", lambda *_: {k: v for k, v in d.items() if k != "where"})
    bp.edge_model.cache_clear()
    try:
        assert edge_model() is not None and edge_model().where_tail is None
        art = _clean_modelled("<div class='note'>转载请注明出处。</div>")
        assert art.body.splitlines()[-1] == "转载请注明出处。"
    finally:
        bp.edge_model.cache_clear()


@pytest.mark.parametrize("run", [0, 1, 2, 3, 8, 9, 19, 20, 21, 22, 23, 40])
def test_each_walk_is_handed_its_reach_and_cuts_as_over_the_whole_body(run):
    """_edge_pass hands each walk only the lines it can read from its end (span + 2): the cut is
    the one the walk makes over the whole body, on both sides of the span limit."""
    model = bp.edge_model()
    assert model is not None
    signoff = [
        "(本文来源：京华时报)",
        "(李沐阳 编辑)",
        "网易声明：本文仅代表作者观点。",
        "关注我们的微信公众号",
    ]
    prose = "这是文章的一段正文，讲的是怎样把事情做好，写得很长也很完整，读者可以照着一步一步去做。"
    lines = [signoff[k % 4] for k in range(run)] + [prose] * 30 + [signoff[k % 4] for k in range(run)]
    out: list = [None] * len(lines)
    bp._edge_pass(lines, out)
    body = list(range(len(lines)))
    tail = bp.edge_walk(
        [lines[i] for i in reversed(body)],
        model.tail,
        model.threshold,
        model.tail_lines,
        model.max_len,
        1,
        model.floor,
        model.span,
    )
    rest = body[: len(body) - tail]
    head = bp.edge_walk(
        [lines[i] for i in rest],
        model.head,
        model.threshold,
        model.head_lines,
        model.max_len,
        1,
        model.floor,
        model.span,
    )
    want = set(rest[:head]) | set(body[len(body) - tail :])
    assert {i for i, lab in enumerate(out) if lab is not None} == want
