"""Comments are repaired like the body (issue 12 item 16): half-width punctuation and Traditional
characters in a reader's comment are fixed, and every change is recorded with the comment it
belongs to, replayable on the comment's text before repair."""

from __future__ import annotations

from pathlib import Path

from cleaners.model import apply_repairs
from cleaners.page import clean_page
from cleaners.repair import repair_comment

DEMO_PAGE = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "demo_site"
    / "guanxian"
    / "consult"
    / "xyk"
    / "1425301187.html"
)


def comment_page(*comments: str) -> bytes:
    items = "".join(
        f"<div class='pl-item'><div class='pl-body'><p class='pl-name'>网友{i} 2025-04-27</p>"
        f"<p class='pl-text'>{c}</p></div></div>"
        for i, c in enumerate(comments)
    )
    body = "".join(
        f"<p>{p}</p>"
        for p in (
            "信用卡逾期以后，持卡人应当尽快联系银行说明情况，并且提供相关的困难证明材料。",
            "银行通常会根据持卡人的还款能力和逾期时间，决定是否同意个性化分期的方案。",
            "协商成功以后，要按照新的还款计划按时还款，否则分期方案可能会被取消。",
        )
    )
    return (
        "<html><head><meta charset='utf-8'><title>信用卡逾期怎么协商</title></head><body>"
        f"<article><h1>信用卡逾期怎么协商</h1>{body}</article>"
        f"<div class='pinglun'><h3>精彩评论</h3>{items}</div></body></html>"
    ).encode()


def test_the_demo_comment_gets_its_comma_and_the_repair_names_the_comment():
    art = clean_page(DEMO_PAGE.read_bytes(), "http://guanxian.org/consult/xyk/1425301187.html")
    (c,) = [c for c in art.comments if "不一定要开失业证明" in c.text]
    assert c.text == "困难证明不一定要开失业证明，收入下降的工资流水也可以。"
    assert c.extracted_text == "困难证明不一定要开失业证明,收入下降的工资流水也可以。"
    (r,) = c.repairs
    assert (r.kind, r.rule, r.before, r.after, r.applied) == ("punct", "punct-comma", ",", "，", True)
    assert c.extracted_text[r.offset] == ","
    # every comment replays, and the body's own contract is untouched by the comments' repairs
    for c in art.comments:
        assert apply_repairs(c.extracted_text, c.repairs) == c.text
        assert "," not in c.text
    assert apply_repairs(art.extracted_text, art.repairs) == art.body


def test_clean_simplified_comments_are_left_as_they_are():
    text = "我也遇到过这种情况，最后还是打电话协商解决的。"
    art = clean_page(comment_page(text, "谢谢分享！"))
    assert [c.text for c in art.comments] == [text, "谢谢分享！"]
    assert all(c.repairs == [] and c.extracted_text == c.text for c in art.comments)


def test_traditional_and_half_width_comment_is_recorded_and_replays():
    art = clean_page(comment_page("這個問題我問過銀行客服,他們說可以申請分期還款。"))
    (c,) = art.comments
    assert c.text == "这个问题我问过银行客服，他们说可以申请分期还款。"
    assert {r.kind for r in c.repairs} == {"t2s", "punct"}
    assert apply_repairs(c.extracted_text, c.repairs) == c.text


def test_comments_are_not_spin_restored():
    # 疑惑 ← 问题 is a spinner pair; a reader's comment is not spun, so it stays as written
    text, repairs = repair_comment("我有一个疑惑,这种情况能不能协商分期?")
    assert text == "我有一个疑惑，这种情况能不能协商分期？"
    assert {r.kind for r in repairs} == {"punct"}
    assert repair_comment("") == ("", [])


def test_comment_slang_is_not_taken_for_gbk_byte_loss():
    # a real comment of ../shared/pages (pixnet): 老梗 is slang for an old joke; the GBK-loss step,
    # tuned on edited prose, read it as 老公。 — comments get only the encoding and typing repairs
    text, repairs = repair_comment("先來說個老梗～落花並非無情")
    assert text == "先来说个老梗～落花并非无情"
    assert {r.kind for r in repairs} == {"t2s"}
