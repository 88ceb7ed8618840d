"""Outline patterns, titles, dates and comment rows."""

from __future__ import annotations

import pytest

from cleaners.model import Section
from cleaners.structure import (
    best_title,
    comments_from_items,
    comments_from_lines,
    match_heading,
    outline,
    parse_date,
    strip_site_suffix,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("一、京东概述", (1, "一", "京东概述", "")),
        ("十二、附录", (1, "十二", "附录", "")),
        ("(一)自动解冻", (2, "(一)", "自动解冻", "")),
        ("（二）人工解冻", (2, "(二)", "人工解冻", "")),
        ("1. 逾期未还款", (3, "1", "逾期未还款", "")),
        ("2、违反京东利用协议", (3, "2", "违反京东利用协议", "")),
        ("3．账户异常", (3, "3", "账户异常", "")),
        ("(1)检查账户状态", (4, "(1)", "检查账户状态", "")),
        ("（2）提供必要材料", (4, "(2)", "提供必要材料", "")),
        ("①妥善保管账户信息", (5, "①", "妥善保管账户信息", "")),
        ("⑫ 关注账户动态", (5, "⑫", "关注账户动态", "")),
        # a numbered line of prose: the first clause is the heading, the rest stays as text
        (
            "1、当客户偿还了逾期款项后，京东常常会在2小时内自动解冻账户。然后耐心等待。",
            (3, "1", "当客户偿还了逾期款项后，京东常常会在2小时内自动解冻账户", "然后耐心等待。"),
        ),
    ],
)
def test_heading_patterns(line, expected):
    assert match_heading(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "2025年，京东金融调整了逾期解冻流程。",  # a sentence beginning with a year
        "2025年是个好年",
        "3.5%的年化利率并不算高",  # a decimal number
        "10.1假期期间客服照常上班",
        "- 使用者未能在规定的时间内偿还账单造成账户被冻结。",  # a bullet is text, not a heading
        "一些用户认为自动解冻太慢",  # 一 used as a word
        "一定要看清楚合同",
        "123. 三位数不是提纲编号",
        "京东是京东金融推出的一款消费信贷产品。",
    ],
)
def test_not_headings(line):
    assert match_heading(line) is None


def test_outline_levels_and_text():
    body = "\n".join(
        [
            "导语：本文介绍解冻方法。",
            "一、京东概述",
            "京东是一款消费信贷产品。",
            "二、解冻方法",
            "(一)自动解冻",
            "1. 还款后等待",
            "- 还款后两小时内自动解冻。",
            "- 耐心等待。",
            "(1)查看状态",
            "①打开APP",
            "2. 检查账户状态",
        ]
    )
    secs = outline(body)
    assert secs == [
        Section(0, "", "", "导语：本文介绍解冻方法。"),
        Section(1, "一", "京东概述", "京东是一款消费信贷产品。"),
        Section(1, "二", "解冻方法", ""),
        Section(2, "(一)", "自动解冻", ""),
        Section(3, "1", "还款后等待", "- 还款后两小时内自动解冻。\n- 耐心等待。"),
        Section(4, "(1)", "查看状态", ""),
        Section(5, "①", "打开APP", ""),
        Section(3, "2", "检查账户状态", ""),
    ]


def test_outline_without_headings_is_one_unnumbered_section():
    assert outline("第一段。\n第二段。") == [Section(0, "", "", "第一段。\n第二段。")]
    assert outline("") == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法_逾期资讯_关县网",
            "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法",
        ),
        (
            "海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网",
            "海外留学生看两会：出国前后关注点大不同",
        ),
        (
            "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶_科技_腾讯网",
            "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶",
        ),
        ("宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网", "宇航员在太空中喝酒会怎么样？后果很严重"),
        ("逾期-合作伙伴的一天", "逾期-合作伙伴的一天"),  # a dash inside the title stays
        ("京东白条", "京东白条"),
    ],
)
def test_site_suffix(raw, clean):
    assert strip_site_suffix(raw) == clean


def test_best_title_prefers_h1_matching_the_title():
    t = "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法_逾期资讯_关县网"
    assert best_title(t, "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法", "") == (
        "京东逾期解冻全攻略:解决冻结原因及恢复信用额度方法"
    )


def test_best_title_ignores_a_logo_h1():
    assert best_title("新竹尖石賞楓之旅_史蒂文的家_痞客邦", "痞客邦", "") == "新竹尖石賞楓之旅"


def test_best_title_uses_og_title_without_title_tag():
    assert best_title("", "", "宇航员在太空中喝酒_光明网") == "宇航员在太空中喝酒"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("时间:2025-04-26 14:25:27", "2025-04-26T14:25:27+08:00"),
        ("2005年3月6日", "2005-03-06T00:00:00+08:00"),
        ("2022.01.20 16:31", "2022-01-20T16:31:00+08:00"),
        ("2017-03-10T09:58:03Z", "2017-03-10T09:58:03+00:00"),
        ("2016-10-14T07:17:00+0800", "2016-10-14T07:17:00+08:00"),
        ("2025/13/40", None),
        ("no date here", None),
        (None, None),
    ],
)
def test_parse_date(text, iso):
    assert parse_date(text) == iso


def test_comments_from_avatar_lines():
    lines = [
        "头像 雷俊驰-债务结清者 2025-04-26",
        "京东逾期冻结支付账户的解冻主要有两种方式。",
        "头像 严静-资深顾问 2025-04-26",
        "只需联系京东客服。",
        "第二行也属于严静。",
    ]
    cs = comments_from_lines(lines)
    assert [(c.author, c.role, c.published_at) for c in cs] == [
        ("雷俊驰", "债务结清者", "2025-04-26T00:00:00+08:00"),
        ("严静", "资深顾问", "2025-04-26T00:00:00+08:00"),
    ]
    assert cs[1].text == "只需联系京东客服。\n第二行也属于严静。"


def test_comments_with_floor_numbers_and_says_headers():
    cs = comments_from_lines(["#1 小鳳 小鳳 於 2013/12/28 10:28", "露營兼賞楓，好棒的生活"])
    assert (cs[0].author, cs[0].published_at, cs[0].text) == (
        "小鳳",
        "2013-12-28T10:28:00+08:00",
        "露營兼賞楓，好棒的生活",
    )
    cs = comments_from_lines(
        ["lr9111[219.130.79.*] 认为：", "引用 投诉 支持 (2) 2004-12-13 09:02:13", "赞同楼上所说的。"]
    )
    assert (cs[0].author, cs[0].published_at, cs[0].text) == (
        "lr9111",
        "2004-12-13T09:02:13+08:00",
        "赞同楼上所说的。",
    )


def test_comment_text_mentioning_a_date_is_not_a_header():
    cs = comments_from_lines(["我在2025-04-26还款了，第二天就解冻了。"])
    assert cs[0].author == "" and cs[0].text.startswith("我在2025-04-26")


def test_comment_noise_is_dropped():
    assert comments_from_items([["还没有评论，快来抢沙发吧！"], ["共 3 篇评论"], ["发表评论"]]) == []


def test_comments_with_re_subject_headers():
    cs = comments_from_lines(
        [
            "# re: 很高兴入住博客堂 2004-12-27 12:46 flyingbirds",
            "呵呵，又来了一位大哥啊",
            "# re: 很高兴入住博客堂 2004-12-27 12:53 寒星",
            "拜读了。",
        ]
    )
    assert [(c.author, c.published_at, c.text) for c in cs] == [
        ("flyingbirds", "2004-12-27T12:46:00+08:00", "呵呵，又来了一位大哥啊"),
        ("寒星", "2004-12-27T12:53:00+08:00", "拜读了。"),
    ]


def test_a_comment_form_is_not_a_comment():
    assert comments_from_items([["Post Comment", "主题", "姓名", "主页", "校验码", "内容"]]) == []


def test_comment_chrome_patterns_fail_fast_on_lines_that_are_not_chrome():
    # a plain regex group cut "1111…1x" into digit tokens every possible way (35 s for 27
    # characters); these lines must be answered at once, and correctly
    from cleaners.structure import _widget_line, split_header

    for line in ("1" * 3000 + "x", "1 " * 3000 + "x", "赞1" * 2000 + "x", "回复 " * 2000 + "好"):
        assert not _widget_line(line)
    assert _widget_line("赞 (3) | 回复 | #12 3楼") and _widget_line("点赞 12") and _widget_line("0")
    assert split_header("1" * 500) is None


def test_generic_comment_headers():
    from cleaners.structure import split_header

    page = "2024-05-20T10:00:00+08:00"
    assert split_header("灯盏_ 5天前", page) == ("灯盏_", "", "2024-05-15T10:00:00+08:00", "")
    assert split_header("老街坊 昨天 10:03", page) == ("老街坊", "", "2024-05-19T10:03:00+08:00", "")
    assert split_header("11. Jul, 2012 / Rishil says:") == ("Rishil", "", "2012-07-11T00:00:00+08:00", "")
    assert split_header("Rosa 09. Aug, 2012 at 4:27 pm #") == ("Rosa", "", "2012-08-09T16:27:00+08:00", "")
    assert split_header("Posted by: Bob James | October 29, 2012 at 10:15 AM")[0] == "Bob James"
    assert split_header("灯盏_ 5天前")[2] is None  # no page date: a relative time resolves to nothing
    # prose that mentions a time is no header
    assert split_header("我在2025-04-26还款了，第二天就解冻了。") is None


def test_a_comment_mentioning_a_counter_is_a_comment_and_a_bare_counter_is_not():
    from cleaners.structure import _widget_line

    assert not _widget_line("第3条评论说得对，我也遇到过。")
    assert _widget_line("0条评论|0人参与网友评论 表情 登录")
    assert _widget_line("写评论已有0条评论跟帖用户自律公约")
    assert comments_from_items([["写评论已有0条评论跟帖用户自律公约"], ["登录后参与评论"]]) == []
