"""The DOM extractor: Chinese scoring, link density, class hints, siblings, comments, bounds."""

from __future__ import annotations

from cleaners.extract import block_lines, class_weight, extract, parse

P1 = "当客户未能按期偿还账单时，账户可能被冻结。这不仅影响购物体验，还可能影响个人信用记录。"
P2 = "客户偿还逾期款项后，京东通常会在两小时内自动解冻账户；客户只需耐心等待，并检查账户状态。"
P3 = "如果账户长时间没有解冻，客户应主动联系客服，说明情况并提供身份证明，以便进一步核实。"


def ex(html: str, profile: dict | None = None):
    root = parse(html)
    assert root is not None
    return extract(root, profile)


def test_chinese_prose_beats_a_longer_link_list():
    links = "".join(
        f"<li><a href='/{i}.html'>京东白条逾期第{i}天会怎么样之全面解读</a></li>" for i in range(40)
    )
    html = f"<html><body><ul class='list'>{links}</ul><div><p>{P1}</p><p>{P2}</p></div></body></html>"
    assert ex(html).paragraphs == [P1, P2]


def test_text_without_ascii_commas_is_found():
    # readability counts ASCII commas only; this article has none and must still win
    nav = "<div>" + " | ".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(30)) + "</div>"
    html = f"<html><body>{nav}<div><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>"
    assert ex(html).paragraphs == [P1, P2, P3]


def test_siblings_that_read_like_the_article_are_kept():
    html = (
        "<html><body><div class='wrap'>"
        f"<div class='content'><p>{P1}</p><p>{P2}</p></div>"
        f"<div><p>{P3}</p></div>"
        "<div class='share'><a href='#'>分享到微博</a></div>"
        "</div></body></html>"
    )
    assert ex(html).paragraphs == [P1, P2, P3]


def test_text_in_table_cells_with_br():
    html = f"<html><body><table><tr><td width=100><a href='/'>首页</a></td><td>{P1}<br>{P2}<br>{P3}</td></tr></table></body></html>"
    assert ex(html).paragraphs == [P1, P2, P3]


def test_hidden_blocks_and_scripts_are_dropped():
    html = (
        "<html><body><div class='content'>"
        f"<p>{P1}</p><p style='display: none'>隐藏的关键词，京东逾期，京东解冻。</p>"
        f"<script>var a = '脚本里的文字，不是正文。';</script><p hidden>也是隐藏的。</p><p>{P2}</p>"
        "</div></body></html>"
    )
    assert ex(html).paragraphs == [P1, P2]


def test_link_lines_inside_the_article_are_dropped_but_prose_with_a_link_stays():
    html = (
        "<html><body><div class='content'>"
        f"<p>{P1}</p><p>详情请见<a href='/x'>京东金融帮助中心</a>的说明，客户也可以拨打客服电话咨询。</p>"
        "<p><a href='/a'>·京东白条逾期三个月会怎么样</a></p>"
        f"<p>{P2}</p></div></body></html>"
    )
    assert ex(html).paragraphs == [P1, "详情请见京东金融帮助中心的说明，客户也可以拨打客服电话咨询。", P2]


def test_comment_list_under_a_heading_is_taken_out():
    html = (
        f"<html><body><div class='content'><p>{P1}</p><p>{P2}</p></div>"
        "<div class='box'><h3>精彩评论</h3><ul>"
        "<li><img alt='头像'> <span>雷俊驰-债务结清者</span> <span>2025-04-26</span><p>自动解冻很快，两小时就好了。</p></li>"
        "<li><img alt='头像'> <span>严静-资深顾问</span> <span>2025-04-26</span><p>联系客服也可以解锁。</p></li>"
        "</ul></div></body></html>"
    )
    out = ex(html)
    assert out.paragraphs == [P1, P2]
    assert [c.lines for c in out.comments] == [
        ["头像 雷俊驰-债务结清者 2025-04-26", "自动解冻很快，两小时就好了。"],
        ["头像 严静-资深顾问 2025-04-26", "联系客服也可以解锁。"],
    ]


def test_comment_container_by_class_is_taken_out():
    html = (
        f"<html><body><div class='content'><p>{P1}</p><p>{P2}</p></div>"
        f"<div id='comments'><div class='item'>网友甲 2025-01-02 {P3}</div></div></body></html>"
    )
    out = ex(html)
    assert out.paragraphs == [P1, P2]
    assert len(out.comments) == 1 and P3 in out.comments[0].lines[0]


def test_forum_thread_whose_replies_are_the_page_keeps_them():
    # removing the "comments" would leave nothing: they are the content
    html = f"<html><body><div class='reply-list comment'><p>{P1}</p><p>{P2}</p></div></body></html>"
    out = ex(html)
    assert out.paragraphs == [P1, P2] and out.comments == []


def test_first_of_repeated_post_blocks_is_the_article():
    # a blog archive page: four posts in the same template, the third one the longest
    bodies = [P1 + P2, P2 + P3, (P3 + P1) * 3, P1 + P3]
    posts = "".join(
        f"<table><tr><td class='post-title'>文章{i}</td></tr><tr><td class='post-body'>{b}</td></tr></table>"
        for i, b in enumerate(bodies)
    )
    assert ex(f"<html><body>{posts}</body></html>").paragraphs == [P1 + P2]


def test_page_without_prose_gives_its_text_lines():
    html = "<html><body><table><tr><th>错误信息</th></tr><tr><td>错误的版面参数！请确认您是从有效的连接进入。</td></tr></table></body></html>"
    assert ex(html).paragraphs == ["错误信息", "错误的版面参数！请确认您是从有效的连接进入。"]


def test_metadata_from_head():
    html = (
        "<html><head><title>标题_测试网</title><meta property='og:title' content='标题'>"
        "<meta property='article:published_time' content='2017-03-10T09:58:03+08:00'>"
        "<link rel='canonical' href='/a/1.html'></head>"
        f"<body><h1>标题</h1><div class='info'>来源：新华社</div><div><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>"
    )
    out = ex(html)
    assert (out.meta.title, out.meta.h1, out.meta.og_title) == ("标题_测试网", "标题", "标题")
    assert out.meta.published == "2017-03-10T09:58:03+08:00" and out.meta.canonical == "/a/1.html"
    assert "来源：新华社" in out.head_lines


def test_class_hints():
    root = parse(
        "<html><body><div class='article-content'></div><div class='sidebar'></div><div class='inside'></div><div id='footer'></div></body></html>"
    )
    divs = list(root.iter("div"))
    assert [class_weight(d) for d in divs] == [25, -25, 0, -25]


def test_block_lines_keeps_avatar_alt_only_when_asked():
    root = parse("<html><body><div><img alt='头像'>张三 2025-01-01<br>内容</div></body></html>")
    div = next(root.iter("div"))
    assert block_lines(div) == ["张三 2025-01-01", "内容"]
    assert block_lines(div, alt=True) == ["头像 张三 2025-01-01", "内容"]


def test_unparseable_input():
    assert parse("") is None and parse("   ") is None
    assert parse("<?xml version='1.0' encoding='gbk'?><html><body><p>中文</p></body></html>") is not None
