"""The code's shape: no generated files, the engine free of the UI, one record per event."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

VENVS = (".venv", ".ci-venv")


def test_building_the_page_writes_no_pyi_stub(server):
    """Gradio writes ``<module>.pyi`` beside any module that subclasses a component; we subclass none."""
    stubs = [p for p in ROOT.rglob("*.pyi") if not any(part in VENVS for part in p.relative_to(ROOT).parts)]
    assert stubs == []


def test_no_generated_file_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [name for name in tracked if name.endswith((".pyi", ".pyc", ".pth", ".safetensors"))]


def test_the_engine_never_imports_gradio():
    code = "import sys, resnet, resnet.cli, resnet.panels, resnet.report, resnet.architecture; print('gradio' in sys.modules)"
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
