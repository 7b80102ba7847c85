"""The code's shape: no generated files, the engine free of the UI, small modules, one walk of
the network, languages in one place, one record per event."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from conftest import ROOT

UI = ROOT / "ui"
CJK = re.compile("[\u4e00-\u9fff]")


def test_no_generated_file_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [name for name in tracked if name.endswith((".pyi", ".pyc", ".pth", ".safetensors"))]


def test_the_engine_never_imports_gradio():
    code = "import sys, resnet, resnet.cli, resnet.panels, resnet.report, resnet.architecture, resnet.network, resnet.lessons; print('gradio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_records_become_outputs_in_field_order():
    from dataclasses import dataclass

    from ui.records import as_outputs, output_names

    @dataclass
    class Two:
        second: int
        first: str

    @dataclass
    class One:
        gallery: list

    assert output_names(Two) == ["second", "first"]
    assert as_outputs(lambda: Two(2, "a"))() == (2, "a")
    assert as_outputs(lambda: One([("x.png", "cap")]))() == [("x.png", "cap")]  # a lone output is its value


def test_the_page_is_composed_of_small_tab_modules():
    """page.py only composes; no ui/ module over 400 lines (locale data aside), no function over 60."""
    assert len((UI / "page.py").read_text().splitlines()) <= 200
    long_modules, long_functions = [], []
    for path in UI.rglob("*.py"):
        text = path.read_text()
        if "locales" not in path.parts and len(text.splitlines()) > 400:
            long_modules.append(path.name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60:
                long_functions.append(f"{path.name}:{node.name}")
    assert long_modules == [] and long_functions == []
    from ui.page import GROUPS

    tabs = sorted(p.stem for p in (UI / "tabs").glob("*.py") if p.stem != "__init__")
    assert tabs == sorted(["explain", *(tab for _, _, names in GROUPS for tab in names)])  # one module a tab


def test_the_network_is_walked_in_one_place():
    """Only resnet/network.py runs the stem and the blocks step by step."""
    engine = {p.name: p.read_text() for p in (ROOT / "resnet").glob("*.py")}
    assert [name for name, text in engine.items() if "maxpool(" in text or "layer1(" in text] == []
    stem_calls = re.compile(r"\b(m|model|self\.model|explainer\.model)\.(conv1|bn1|relu|maxpool)\(")
    assert [name for name, text in engine.items() if stem_calls.search(text)] == []  # walk() runs the stem


def test_translated_words_live_in_the_locale_files_only():
    code = [p for folder in ("ui", "resnet", "bench") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
    assert [str(p.relative_to(ROOT)) for p in code if CJK.search(p.read_text()) and "locales" not in p.parts] == []
