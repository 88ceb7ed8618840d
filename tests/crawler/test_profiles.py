"""Site profiles: loading, {base} substitution, and one clear error per mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.errors import CrawlConfigError
from crawler.profiles import (
    Rules,
    generic_profile,
    list_profiles,
    load_profile,
    normalize_profiles,
    parse_setting_args,
    profile_from_file,
    validate_profile,
)


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """
name = "farm"
description = "a farm"
start_urls = ["{base}/", "{base}/sitemap.xml"]
[links]
article = ['^{base}/a/\\d+\\.html$']
listing = ['/list_\\d+\\.html$']
next_page = ['_(\\d+)\\.html$']
deny = ['/tag/']
[extract]
title = "h1"
"""


def test_shipped_profiles_load_and_are_listed():
    names = [p["name"] for p in list_profiles()]
    assert names == sorted(names)
    assert {"dedecms_farm", "qa_site"} <= set(names)
    dede = load_profile("dedecms_farm")
    assert dede["allowed_domains"] == ["dedecms-farm.example"]
    assert dede["generic"] is False
    rules = Rules(dede)
    assert rules.is_article("https://www.dedecms-farm.example/lvyou/2024/0512/2051.html")
    assert not rules.is_article("https://www.dedecms-farm.example/lvyou/2024/0512/2051_2.html")
    assert rules.part_number("https://www.dedecms-farm.example/lvyou/2024/0512/2051_2.html") == 2
    assert rules.denied("https://www.dedecms-farm.example/plus/search.php?q=1")


def test_unknown_site_names_the_known_ones():
    with pytest.raises(CrawlConfigError) as e:
        load_profile("nosuchsite")
    msg = str(e.value)
    assert msg.startswith("unknown site 'nosuchsite'; known sites: ")
    assert "dedecms_farm" in msg and "qa_site" in msg and msg.endswith("(see guidecrawl sites)")


def test_unknown_site_rejects_path_tricks():
    with pytest.raises(CrawlConfigError, match="unknown site"):
        load_profile("../sites/qa_site")


def test_base_substituted_and_escaped_in_link_regexes(tmp_path):
    prof = profile_from_file(write(tmp_path, GOOD), base="http://127.0.0.1:4312/")
    assert prof["start_urls"] == ["http://127.0.0.1:4312/", "http://127.0.0.1:4312/sitemap.xml"]
    assert prof["allowed_domains"] == []  # not given: the start URLs' origins only
    pat = prof["links"]["article"][0]
    assert pat == "^" + re.escape("http://127.0.0.1:4312") + "/a/\\d+\\.html$"
    rules = Rules(prof)
    assert rules.is_article("http://127.0.0.1:4312/a/12.html")
    assert not rules.is_article("http://127.0.0.1:43129/a/12.html")  # the dots and port are literal
    # The start URLs' origin is scheme, host and port: another port or scheme of the same host is
    # another site (issue 12 item 8; this test used to expect the host alone to count).
    assert rules.owns("http://127.0.0.1:4312/x") == 2
    assert rules.owns("http://127.0.0.1:9/x") == 0
    assert rules.owns("https://127.0.0.1:4312/x") == 0
    assert rules.owns("http://example.org/x") == 0


def test_allowed_domains_widen_the_origin_rule():
    prof = validate_profile(
        {
            "name": "x",
            "start_urls": ["http://127.0.0.1:4312/"],
            "allowed_domains": ["farm.example", "127.0.0.1:8080"],
        }
    )
    rules = Rules(prof)
    assert rules.owns("http://127.0.0.1:4312/a") == 2
    assert rules.owns("http://127.0.0.1:8080/a") == 1  # host:port named
    assert rules.owns("http://127.0.0.1:8081/a") == 0
    assert rules.owns("https://www.farm.example/a") == 1  # a domain and its subdomains ...
    assert rules.owns("http://farm.example/a") == 1
    assert rules.owns("http://farm.example:8443/a") == 0  # ... on the default ports only
    assert rules.owns("http://notfarm.example/a") == 0
    with pytest.raises(CrawlConfigError, match="not a host name"):
        validate_profile({"name": "x", "allowed_domains": ["http://farm.example/"]})


def test_settings_table_is_validated_and_typed(tmp_path):
    prof = profile_from_file(
        write(
            tmp_path,
            'name = "x"\n[settings]\nDOWNLOAD_DELAY = 2\nUSER_AGENT = "me"\nAUTOTHROTTLE_ENABLED = false\n'
            "DEPTH_LIMIT = 7\nGUIDECRAWL_RETRY_AFTER_MAX = 30\n",
        )
    )
    assert prof["settings"] == {
        "DOWNLOAD_DELAY": 2.0,
        "USER_AGENT": "me",
        "AUTOTHROTTLE_ENABLED": False,
        "DEPTH_LIMIT": 7,
        "GUIDECRAWL_RETRY_AFTER_MAX": 30.0,
    }
    assert isinstance(prof["settings"]["DOWNLOAD_DELAY"], float)


@pytest.mark.parametrize(
    "table,message",
    [
        ("DOWNLOAD_DELAI = 2", "unknown crawl setting 'DOWNLOAD_DELAI'; known: DOWNLOAD_DELAY"),
        ('DOWNLOAD_DELAY = "fast"', "DOWNLOAD_DELAY must be a number >= 0, not 'fast'"),
        ("DOWNLOAD_DELAY = -1", "DOWNLOAD_DELAY must be a number >= 0"),
        ("CONCURRENT_REQUESTS = 0", "CONCURRENT_REQUESTS must be a whole number >= 1"),
        ("DEPTH_LIMIT = 2.5", "DEPTH_LIMIT must be a whole number >= 0"),
        ("AUTOTHROTTLE_ENABLED = 1", "AUTOTHROTTLE_ENABLED must be true or false"),
        ("USER_AGENT = 3", "USER_AGENT must be a string"),
        ("ROBOTSTXT_OBEY = false", "unknown crawl setting 'ROBOTSTXT_OBEY'"),
    ],
)
def test_bad_settings_give_one_clear_error(tmp_path, table, message):
    path = write(tmp_path, f'name = "x"\n[settings]\n{table}\n')
    with pytest.raises(CrawlConfigError) as e:
        profile_from_file(path)
    assert str(e.value).startswith(f"{path} [settings]: ")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_setting_args_are_typed_like_the_table():
    assert parse_setting_args(["DOWNLOAD_DELAY=0.5", "AUTOTHROTTLE_ENABLED=no", "USER_AGENT=a=b"]) == {
        "DOWNLOAD_DELAY": 0.5,
        "AUTOTHROTTLE_ENABLED": False,
        "USER_AGENT": "a=b",
    }
    with pytest.raises(CrawlConfigError, match="write -s NAME=VALUE"):
        parse_setting_args(["DOWNLOAD_DELAY"])
    with pytest.raises(CrawlConfigError, match=r"-s DEPTH_LIMIT: DEPTH_LIMIT must be a whole number"):
        parse_setting_args(["DEPTH_LIMIT=deep"])


def test_base_required_when_profile_uses_it(tmp_path):
    with pytest.raises(CrawlConfigError, match=r"uses \{base\}"):
        profile_from_file(write(tmp_path, GOOD))


@pytest.mark.parametrize(
    "text,message",
    [
        ('name = "x"\nstart_urls = ["http://a/"]\nbogus = 1\n', "unknown key(s) bogus"),
        ('name = "x y"\n', "name must be a short identifier"),
        ('name = "x"\nstart_urls = "ftp://a/"\n', "is not an http(s) URL"),
        ('name = "x"\n[links]\narticle = ["(unclosed"]\n', "links.article: bad regex"),
        ('name = "x"\n[links]\narticles = ["a"]\n', "unknown [links] key(s) articles"),
        ('name = "x"\n[extract]\ntitle = 3\n', "extract.title must be a CSS selector string"),
        ('name = "x"\n[health]\nmin_articles = -1\n', "health.min_articles must be a number >= 0"),
        ('name = "x"\nstart_urls = [1]\n', "start_urls must be a list of strings"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_bad_profiles_give_one_clear_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CrawlConfigError) as e:
        profile_from_file(path)
    assert str(e.value).startswith(str(path))
    assert message in str(e.value)


def test_missing_profile_file(tmp_path):
    with pytest.raises(CrawlConfigError, match="profile file not found"):
        profile_from_file(tmp_path / "none.toml")


def test_name_must_match_file_name(tmp_path, monkeypatch):
    write(tmp_path, 'name = "other"\nstart_urls = ["https://a.example/"]\n', "mine.toml")
    monkeypatch.setenv("GUIDECRAWL_SITES_DIR", str(tmp_path))
    with pytest.raises(CrawlConfigError, match="make them agree"):
        load_profile("mine")


def test_generic_profile():
    p = generic_profile(["https://www.farm.example/a/", "https://m.farm.example/"])
    assert p["name"] == "www.farm.example"
    assert p["allowed_domains"] == []  # the start URLs' origins only
    assert Rules(p).owns("https://m.farm.example/x") == 2
    assert Rules(p).owns("https://img.farm.example/x") == 0
    assert p["generic"] is True
    rules = Rules(p)
    assert rules.is_article("https://www.farm.example/consult/xyk/1425301187.html")
    assert rules.is_listing("https://www.farm.example/consult/list_2.html")
    assert rules.denied("https://www.farm.example/logo.png")
    with pytest.raises(CrawlConfigError, match="not an http"):
        generic_profile(["www.farm.example"])
    with pytest.raises(CrawlConfigError, match="at least one start URL"):
        generic_profile([])


def test_normalize_accepts_a_mapping_and_rejects_twice_named_sites():
    a = {"name": "a", "start_urls": ["http://a.example/"]}
    assert [p["name"] for p in normalize_profiles({"a": a})] == ["a"]
    with pytest.raises(CrawlConfigError, match="given twice"):
        normalize_profiles([a, dict(a)])
