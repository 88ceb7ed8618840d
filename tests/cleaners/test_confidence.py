"""The article confidence (Article.confidence, 0-1) falls when the result is doubtful.

Besides the extractor's own doubts (a rival block nearly as good, a weak or short winner, a block
holding little of the page's prose), the cleaning after extraction is a witness: when its rules
remove most of the chosen block, the block or the rules are wrong for this page.
"""

from __future__ import annotations

from cleaners.page import UNSURE, clean_page

ITEMS = [
    "中国女排在昨晚的联赛中以三比零战胜天津队，取得了本赛季的第三场连胜，主教练赛后表示满意。",
    "国家男篮集训名单今天公布，十六名球员将于下周一在北京报到，备战明年的亚洲杯预选赛事。",
    "全国冬季两项锦标赛在吉林开幕，来自十二个省市的二百余名运动员参加了首日的各项比赛。",
    "中超联赛新赛季的赛程草案已经下发各俱乐部，首轮比赛定于明年三月的第一个周末正式开打。",
    "乒乓球世界杯团体赛落下帷幕，中国男队和女队双双卫冕，这是中国队第七次包揽两项冠军。",
]


def _page(items: list[str]) -> bytes:
    paras = "".join(f"<p>{t}</p>" for t in items)
    return (
        "<html><head><meta charset='utf-8'><title>一周体坛要闻回顾_体育频道</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/s'>体育</a></div>"
        "<h1>一周体坛要闻回顾</h1>"
        f"<div class='content'>{paras}<p>以上是本周的体坛要闻，欢迎读者继续关注本频道的后续报道。</p></div>"
        "<div class='foot'>版权所有 体育频道</div></body></html>"
    ).encode()


def test_cleaning_away_most_of_the_block_lowers_the_confidence():
    # every item ends in a [详细] link: the teaser rule removes nearly all of the block
    art = clean_page(_page([t + "【详细】" for t in ITEMS]), "http://sports.example.cn/a.html")
    assert art.status == "ok"
    assert art.confidence < UNSURE
    assert "the cleaning removed" in art.reason and "teaser-line" in art.reason


def test_the_same_story_without_teaser_links_keeps_its_confidence():
    art = clean_page(_page(ITEMS), "http://sports.example.cn/a.html")
    assert art.status == "ok"
    assert art.confidence >= UNSURE
    assert "the cleaning removed" not in art.reason
    assert all(t in art.body for t in ITEMS)
