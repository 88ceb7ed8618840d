"""Each data file has exactly one reading function (issue 15).

Two checks, because each alone can be fooled: the source (every literal that names a rule file
sits in one function; only two functions parse TOML at all) and a run (a fresh process cleans a
page, repairs text that wakes every repair stage, lists the site profiles and asks the version,
with the file reads traced to the function that asked for them).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
PACKAGES = ("cleaners", "crawler", "pipelines")
RULE_FILES = ["boilerplate.toml", "edge_model.toml", "extract.toml"] + sorted(
    p.name for p in (DATA / "repair").iterdir()
)


def _functions_naming(names: set[str]) -> dict[str, set[str]]:
    """``{name: {"module.function", ...}}``: where a string literal equal to ``name`` (or ending
    in ``/name``) occurs in the packages' source, docstrings aside.  Module-level literals count as
    ``module.<module>``."""
    found: dict[str, set[str]] = {n: set() for n in names}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            mod = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = {
                id(n.body[0].value)
                for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.body
                and isinstance(n.body[0], ast.Expr)
                and isinstance(n.body[0].value, ast.Constant)
            }

            def visit(node: ast.AST, where: str, mod: str = mod, docs: set[int] = docs) -> None:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                        visit(child, f"{mod}.{child.name}")
                    elif (
                        isinstance(child, ast.Constant)
                        and isinstance(child.value, str)
                        and id(child) not in docs
                    ):
                        for n in names:
                            if child.value == n or child.value.endswith("/" + n):
                                found[n].add(where)
                    else:
                        visit(child, where)

            visit(tree, f"{mod}.<module>")
    return found


def test_every_rule_file_is_named_in_one_function():
    found = _functions_naming(set(RULE_FILES))
    # cleaners.data.RULE_FILES lists the files cleaner_version() hashes: a list, not a reader
    for name in found:
        found[name].discard("cleaners.data.<module>")
    assert {n: len(f) for n, f in found.items()} == dict.fromkeys(RULE_FILES, 1), found


def _toml_parsers() -> set[str]:
    out: set[str] = set()
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            mod = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(fn, ast.FunctionDef):
                    for call in ast.walk(fn):
                        f = getattr(call, "func", None)
                        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                            if f.value.id == "tomllib" and f.attr in ("load", "loads"):
                                out.add(f"{mod}.{fn.name}")
    return out


def test_only_two_functions_parse_toml():
    # the data root's TOML rule files, and site profiles (data/sites/*, the demo's site.toml, any
    # profile file given): so every site profile has one reader
    assert _toml_parsers() == {"cleaners.data.read_toml", "crawler.profiles.read_profile_toml"}


TRACE = r"""
import builtins, io, json, sys, traceback
from pathlib import Path
import cleaners.data as data

ROOT = Path(sys.argv[1]).resolve()
PRIMITIVES = {"_bytes_at", "read_bytes", "read_toml", "read_tsv", "open", "spy_open", "spy_read"}
seen = {}

def note(path):
    try:
        rel = Path(path).resolve().relative_to(ROOT).as_posix()
    except (TypeError, ValueError):
        return
    for fr in reversed(traceback.extract_stack()[:-2]):
        if fr.name not in PRIMITIVES and "pathlib" not in fr.filename:
            mod = Path(fr.filename).resolve().relative_to(ROOT.parent).with_suffix("").as_posix()
            seen.setdefault(rel, set()).add(mod.replace("/", ".") + "." + fr.name)
            return

real_open, real_read = builtins.open, data.read_bytes
def spy_open(file, *a, **k):
    note(file)
    return real_open(file, *a, **k)
def spy_read(*parts):
    note(data.data_path(*parts))
    return real_read(*parts)
builtins.open = io.open = spy_open  # Path.open calls io.open
data.read_bytes = spy_read

import cleaners
from cleaners.page import clean_page
from cleaners.repair import repair_text
from crawler.profiles import extract_profiles, list_profiles

cleaners.cleaner_version()
page = (ROOT / "demo_site" / "guanxian" / "consult" / "xyqhu" / "1425292049.html").read_bytes()
profiles = list_profiles()
clean_page(page, "http://x/a.html", profile=profiles[0])
repair_text("這個問題怎麼解決,很簡單。鎴戜滑的工粳在这里\ufffd。这一步至关关键。")
extract_profiles()
print(json.dumps({k: sorted(v) for k, v in seen.items()}))
"""


def test_each_data_file_is_read_by_one_function_at_run_time(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", TRACE, str(DATA)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stderr
    seen = {k: v for k, v in json.loads(out.stdout).items() if not k.startswith("demo_site/")}
    # cleaner_version() hashes the rule files it names (the same cached bytes the readers parse)
    for readers in seen.values():
        if "cleaners.data._digest" in readers:
            readers.remove("cleaners.data._digest")
    expected = {"boilerplate.toml", "edge_model.toml", "extract.toml"} | {
        f"repair/{p.name}" for p in (DATA / "repair").iterdir()
    }
    expected |= {f"sites/{p.name}" for p in (DATA / "sites").glob("*.toml")}
    assert set(seen) == expected, seen
    assert {k: len(v) for k, v in seen.items()} == dict.fromkeys(expected, 1), seen
    assert all(v == ["crawler.profiles.read_profile_toml"] for k, v in seen.items() if k.startswith("sites/"))
