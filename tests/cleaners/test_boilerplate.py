"""Every boilerplate rule of data/boilerplate.toml: a case it removes and a case it must keep."""

from __future__ import annotations

import pytest

from cleaners.boilerplate import rules, strip_boilerplate
from cleaners.model import apply_repairs, sequential

PROSE = "京东是京东金融推出的一款消费信贷产品，它为客户提供了一种便捷的支付形式。"
TAIL = "客户只需保障还款金额准确无误，并耐心等待应对。"

# rule id -> (lines that the rule removes, placed between two prose paragraphs or at the edge)
POSITIVE = {
    "disclaimer-block": [
        "版权与免责声明:",
        '① 凡本网注明"来源:"的所有作品,版权均属于,未经本网授权不得转载、摘编或利用其它方式使用上述作品。',
        '② 凡本网注明"来源:xxx(非)"的作品,均转载自其它媒体,并不代表本网赞同其观点和对其真实性负责。',
        "③ 如因作品内容、版权和其它问题需要同本网联系的,请在30日内进行。",
    ],
    "copyright-clause": ["本文为本站原创，未经授权不得转载，违者必究。"],
    "copyright-line": ["Copyright © 2025 关县网 版权所有 京ICP备12345678号"],
    "recommend-block": ["大家还看了:", "京东白条逾期三个月会怎么样", "信用卡逾期多久上征信"],
    "teaser-line": ["杨月仙怎么也想不明白，17岁的女儿智商只有42，经有关部门鉴定，就是所谓的...... [全文]"],
    "permalink": ["本文链接:http://www.guanxian.org/consult/xyqhu/1425292049.html"],
    "share-prompt": ["分享到：微信 微博 QQ空间"],
    "app-download": ["下载新浪新闻APP，看更多精彩"],
    "pager": ["第1页/共3页 << 上一页 | 下一页 >>"],
    "show-more": ["展开全文"],
    "statement-line": ["声明：该文观点仅代表作者本人，搜狐号系信息发布平台，搜狐仅提供信息存储空间服务。"],
    "font-size": ["【字号 大 中 小】"],
}
# the same prose a rule must leave alone (mentions its keyword inside a sentence)
NEGATIVE = {
    "disclaimer-block": "律师提醒，免责声明并不能免除平台对用户的全部责任，消费者遇到纠纷时应保留证据。",
    "copyright-clause": "很多作者发现自己的文章未经授权被转载，于是开始研究如何用法律维护权益，这并不容易。",
    "copyright-line": "这篇文章讨论了版权保护的问题：版权所有人可以要求平台删除侵权内容，也可以起诉。",
    "recommend-block": "编辑推荐的方法是先还清欠款，再联系客服申请解冻，这样通常两小时内就能恢复。",
    "teaser-line": "文章的全文【见附件】，读者可以下载后阅读，其中详细介绍了解冻流程。",
    "permalink": "本文链接的几个案例都来自公开判决书，读者可以自行查阅原文，核对其中的细节是否一致。",
    "share-prompt": "分享到朋友圈之前，最好先确认信息来源是否可靠，以免传播谣言，给自己带来麻烦。",
    "app-download": "用户可以下载京东金融APP，在客服功能中输入“解锁”等关键词，遵循提示完成解锁手续，然后等待审核结果。",
    "pager": "第1页上写着还款计划，第2页是合同条款，客户应仔细阅读每一页的内容后再签字。",
    "show-more": "想要了解更多内容，请继续阅读下面的几个部分，我们会逐一说明每种情况的处理办法。",
    "statement-line": "声明：本人自愿放弃上述权利，这是客户在协商还款时常见的一句话，需要谨慎对待。",
    "font-size": "字号大小可以在设置里调整，老年用户把字体调大一些，阅读起来会轻松很多。",
}


def _check_audit(text: str, title: str = "") -> str:
    s = strip_boilerplate(text, title)
    assert apply_repairs(text, sequential(s.edits)) == s.text
    return s.text


def test_every_rule_has_a_case():
    ids = {r.id for r in rules().rules}
    covered = set(POSITIVE) | {"source-time-line", "time-source-line", "editor-line", "source-line"}
    covered |= {"comment-list", "nav-crumb"}
    assert ids == covered
    for r in rules().rules:
        assert r.reason, r.id


@pytest.mark.parametrize("rule_id", sorted(POSITIVE))
def test_rule_removes_its_block_in_the_middle(rule_id):
    text = "\n".join([PROSE, *POSITIVE[rule_id], TAIL])
    s = strip_boilerplate(text)
    assert s.text == f"{PROSE}\n{TAIL}", rule_id
    assert {e[4] for e in s.edits} == {rule_id}
    assert all(e[3] == "boilerplate" and e[5] == 1.0 for e in s.edits)
    _check_audit(text)


@pytest.mark.parametrize("rule_id", sorted(POSITIVE))
def test_rule_removes_its_block_at_the_end(rule_id):
    text = "\n".join([PROSE, TAIL, *POSITIVE[rule_id]])
    assert _check_audit(text) == f"{PROSE}\n{TAIL}"


@pytest.mark.parametrize("rule_id", sorted(NEGATIVE))
def test_prose_mentioning_the_keyword_stays(rule_id):
    text = "\n".join([PROSE, NEGATIVE[rule_id], TAIL])
    s = strip_boilerplate(text)
    assert s.text == text, rule_id
    assert s.edits == []


def test_source_time_line_goes_to_metadata():
    text = "\n".join(["来源:逾期-合作伙伴 时间:2025-04-26 14:25:27", PROSE, TAIL])
    s = strip_boilerplate(text)
    assert s.text == f"{PROSE}\n{TAIL}"
    assert s.meta["source"] == "逾期-合作伙伴" and s.meta["time"] == "2025-04-26 14:25:27"
    assert s.edits[0][3:5] == ("metadata", "source-time-line")


def test_time_source_line_goes_to_metadata():
    s = strip_boilerplate("\n".join(["2022.01.20 16:31 来源：河南日报客户端", PROSE]))
    assert s.text == PROSE
    assert s.meta == {"time": "2022.01.20 16:31", "source": "河南日报客户端"}


def test_editor_line_at_the_end_goes_to_metadata():
    s = strip_boilerplate("\n".join([PROSE, TAIL, "编辑:逾期-合作伙伴"]))
    assert s.text == f"{PROSE}\n{TAIL}" and s.meta["editor"] == "逾期-合作伙伴"
    s = strip_boilerplate("\n".join([PROSE, TAIL, "【责任编辑：刘欢】"]))
    assert s.meta["editor"] == "刘欢"


def test_lone_source_line_goes_to_metadata():
    s = strip_boilerplate("\n".join([PROSE, TAIL, "来源：新闻晨报"]))
    assert s.text == f"{PROSE}\n{TAIL}" and s.meta["source"] == "新闻晨报"


def test_metadata_looking_line_in_the_middle_stays():
    before = [f"第{i}段：{PROSE}" for i in range(8)]
    after = [f"第{i}段：{PROSE}" for i in range(8, 16)]
    text = "\n".join([*before, "时间：2025-03-05 地点：北京国家会议中心", *after, TAIL])
    assert strip_boilerplate(text).text == text


def test_a_year_at_the_start_of_a_sentence_is_not_metadata():
    text = "\n".join(["2025年，京东金融调整了逾期解冻的流程，客户还款后两小时内自动解冻。", TAIL])
    assert strip_boilerplate(text).text == text


def test_title_repeat_and_its_spun_copy_are_removed():
    title = "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法"
    text = "\n".join([title, "京东逾期解冻全攻略:解决冻结起因及恢复信用额度方法", PROSE, title, TAIL])
    s = strip_boilerplate(text, title)
    assert s.text == f"{PROSE}\n{TAIL}"
    assert {e[4] for e in s.edits} == {"title-repeat"}
    _check_audit(text, title)


def test_a_sentence_containing_the_title_stays():
    title = "京东逾期解冻全攻略"
    line = "这篇京东逾期解冻全攻略写得很详细，从冻结原因讲到恢复信用额度的每一步，值得收藏。"
    assert strip_boilerplate(f"{PROSE}\n{line}", title).text == f"{PROSE}\n{line}"


def test_comment_list_lines_are_taken_out_as_comments():
    text = "\n".join(
        [
            PROSE,
            "精彩评论",
            "头像 雷俊驰-债务结清者 2025-04-26",
            "自动解冻是指在用户进行还款后,会自动解冻账户。",
            "编辑:小王",
        ]
    )
    s = strip_boilerplate(text)
    assert s.text == PROSE
    assert s.comment_lines == [
        "头像 雷俊驰-债务结清者 2025-04-26",
        "自动解冻是指在用户进行还款后,会自动解冻账户。",
    ]
    assert s.meta["editor"] == "小王"
    assert [e[3] for e in s.edits] == ["comment", "metadata"]
    _check_audit(text)


def test_nav_crumb_only_at_the_tail():
    assert strip_boilerplate(f"{PROSE}\n{TAIL}\n社会新闻5448").text == f"{PROSE}\n{TAIL}"
    body = f"社会新闻\n{PROSE}\n第二段：{PROSE}\n第三段：{PROSE}\n{TAIL}"
    assert strip_boilerplate(body).text == body


def test_everything_boilerplate_gives_empty_text():
    text = "\n".join(["本文链接:http://x.cn/1.html", "分享到：微信", "展开全文"])
    assert _check_audit(text) == ""


def test_recommend_block_takes_dated_and_dotted_items():
    items = [
        "·韩红发新专辑 赵薇金海心沙宝亮等好友齐助阵 (2005-04-27 18:03PM)",
        "·分手还可做朋友 蔡依林出新碟周杰伦送花篮",
    ]
    text = "\n".join([PROSE, "相关报道：", *items, TAIL])
    assert strip_boilerplate(text).text == f"{PROSE}\n{TAIL}"


def test_recommend_block_stops_at_prose():
    text = "\n".join([PROSE, "相关阅读", "京东白条逾期三个月会怎么样", TAIL])
    assert strip_boilerplate(text).text == f"{PROSE}\n{TAIL}"


def test_repeated_paragraph_is_removed_once_seen():
    lead = "三天两晚玩转大理，古城住哪、洱海怎么环、苍山怎么上，一篇说清楚。"
    text = "\n".join([lead, PROSE, lead, TAIL, lead])
    s = strip_boilerplate(text)
    assert s.text == f"{lead}\n{PROSE}\n{TAIL}"
    assert {e[4] for e in s.edits} == {"repeated-paragraph"}
    _check_audit(text)


def test_short_repeated_lines_stay():
    text = "\n".join(["第一步", PROSE, "第一步", TAIL])  # short lines repeat legitimately
    assert strip_boilerplate(text).text == text
