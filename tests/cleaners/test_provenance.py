"""cleaner_version(): the code, every rule/dictionary file in use, the models, the profile's
selectors and the run-time tables; and the public data root (issue 15)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cleaners
from cleaners import CLEANER_VERSION, cleaner_version, data
from cleaners.data import SHIPPED_DATA, data_path, data_root, repair_settings
from cleaners.lmsource import models_fingerprint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for k in ("GUIDECRAWL_DATA", "GUIDECRAWL_SPIN_TABLES"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def copy(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(SHIPPED_DATA, d, ignore=shutil.ignore_patterns("demo_site", "*.duckdb*", "jobs"))
    return d


def test_data_root_is_the_checkout_or_guidecrawl_data(monkeypatch, tmp_path):
    assert data_root() == ROOT / "data" and data_path("repair", "x") == ROOT / "data" / "repair" / "x"
    monkeypatch.setenv("GUIDECRAWL_DATA", str(tmp_path))
    assert data_root() == tmp_path and data_path("sites") == tmp_path / "sites"


def test_repair_settings_read_once_per_root(monkeypatch, copy):
    a = repair_settings()
    assert a is repair_settings() and a["window"]["max_chars"] > 0
    text = (copy / "repair" / "settings.toml").read_text(encoding="utf-8")
    (copy / "repair" / "settings.toml").write_text(
        text.replace("[window]", "[window]\nprobe = 7", 1), "utf-8"
    )
    monkeypatch.setenv("GUIDECRAWL_DATA", str(copy))
    assert repair_settings()["window"]["probe"] == 7 and "probe" not in a["window"]


def fresh() -> None:
    """Forget what this process read, as a new process would (the data module's bytes and
    digests, and the version built on them)."""
    data.clear()
    cleaners._version.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "rel, old, new",
    [
        ("boilerplate.toml", "max_len = 900", "max_len = 901"),  # one rule's bound
        ("boilerplate.toml", 'id = "copyright-line"', 'id = "copyright-line2"'),
        ("extract.toml", "[[", "# a comment counts too: the bytes are the rules\n[["),
        ("repair/settings.toml", "[window]", "[window]\nprobe = 1"),
        ("repair/spin_pairs.tsv", "\n", "\n# one more comment line\n"),
        ("repair/punct.tsv", "\n", "\n# one more comment line\n"),
        ("repair/garble_rules.tsv", "\n", "\n# one more comment line\n"),
    ],
)
def test_changing_a_rule_file_changes_the_version(monkeypatch, copy, rel, old, new):
    shipped = cleaner_version()
    monkeypatch.setenv("GUIDECRAWL_DATA", str(copy))
    assert cleaner_version() == shipped  # a copy of the same files: the same version
    _edit(copy / rel, old, new)
    fresh()  # as a new process would see it
    changed = cleaner_version()
    assert changed != shipped and changed.startswith(CLEANER_VERSION + "+data.")


def test_a_new_file_in_repair_counts(monkeypatch, copy):
    monkeypatch.setenv("GUIDECRAWL_DATA", str(copy))
    before = cleaner_version()
    (copy / "repair" / "more.tsv").write_text("id\n", encoding="utf-8")
    fresh()
    assert cleaner_version() != before


def test_profiles_other_than_the_selectors_change_nothing(copy, monkeypatch):
    monkeypatch.setenv("GUIDECRAWL_DATA", str(copy))
    before = cleaner_version()
    _edit(copy / "sites" / "qa_site.toml", "name", "# a crawl setting changed\nname")
    fresh()
    assert cleaner_version() == before


def test_the_profiles_selectors_are_part_of_the_version():
    base = cleaner_version()
    assert cleaner_version(None) == base == cleaner_version({"extract": {"title": "", "body": ""}})
    a = cleaner_version({"name": "x", "extract": {"body": "div.a"}})
    b = cleaner_version({"name": "y", "extract": {"body": "div.b"}})
    assert a.startswith(base + "+site.") and b.startswith(base + "+site.") and a != b
    # the crawl's validated profile (every key, unset ones "") and reclean's raw [extract] agree
    assert a == cleaner_version({"extract": {"title": "", "body": "div.a", "date": "", "comments": ""}})


def test_models_fingerprint_names_the_built_in_models():
    fp = models_fingerprint()
    assert fp.startswith("charlm=") and ";words=" in fp and ";opencc=" in fp and "missing" not in fp
    assert "wordfreq=" not in fp and models_fingerprint(word_model=True).startswith(fp + ";wordfreq=")


VERSION_CODE = "import cleaners; print(cleaners.cleaner_version())"


def test_stable_across_processes_and_names_the_data_root(copy):
    env = {k: v for k, v in os.environ.items() if k not in ("GUIDECRAWL_DATA", "GUIDECRAWL_SPIN_TABLES")}

    def run(extra: dict[str, str]) -> str:
        return subprocess.run(
            [sys.executable, "-c", VERSION_CODE],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**env, **extra},
            check=True,
            timeout=120,
        ).stdout.strip()

    here = cleaner_version()
    assert run({}) == run({}) == here
    assert run({"GUIDECRAWL_DATA": str(copy)}) == here  # the same bytes elsewhere
    _edit(copy / "boilerplate.toml", "max_len = 900", "max_len = 800")
    assert run({"GUIDECRAWL_DATA": str(copy)}) != here


def test_one_snapshot_per_process(monkeypatch, copy):
    # the rules are compiled once per process from the bytes read first; the version hashes the
    # same bytes, so an edit made while a crawl runs changes neither
    from cleaners.data import read_toml

    monkeypatch.setenv("GUIDECRAWL_DATA", str(copy))
    fresh()
    v = cleaner_version()
    rules = read_toml("boilerplate.toml")
    _edit(copy / "boilerplate.toml", "max_len = 900", "max_len = 800")
    assert read_toml("boilerplate.toml") == rules and cleaner_version() == v
    fresh()
