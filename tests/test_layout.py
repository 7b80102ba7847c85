"""The code's shape: no generated files, the engine free of the UI, small modules, one walk of
the network, languages in one place, one record per event."""

from __future__ import annotations

import ast
import re
import subprocess

from conftest import ROOT

UI = ROOT / "ui"
CJK = re.compile("[\u4e00-\u9fff]")


def test_no_generated_file_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [name for name in tracked if name.endswith((".pyi", ".pyc", ".pth", ".safetensors"))]


# Which packages of resnet/ each package may import: core at the bottom, the command line on top.
MAY_IMPORT = {
    "core": {"core"},
    "cams": {"core", "cams"},
    "present": {"core", "cams", "present"},
    "evaluate": {"core", "cams", "present", "evaluate"},
    "learn": {"core", "cams", "present", "learn"},
    "video": {"core", "cams", "present", "video"},
    "channels": {"core", "cams", "present", "evaluate", "channels"},
    "serve": {"core", "serve"},
    "cli": {"core", "cams", "present", "evaluate", "learn", "video", "channels", "cli"},
}


def imports_of(path) -> set[str]:
    """Every module ``path`` imports (at the top or inside a function), relative ones made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def engine_modules() -> dict[str, set[str]]:
    """resnet's modules (``resnet.core.explainer``), found by walking the package, and their imports."""
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): imports_of(p)
        for p in (ROOT / "resnet").rglob("*.py")
    }


def test_the_engine_never_imports_gradio_nor_the_page():
    modules = engine_modules()
    assert len(modules) > 30
    gradio = {m for m, names in modules.items() if any(n == "gradio" or n.startswith("gradio.") for n in names)}
    page = {m for m, names in modules.items() if any(n.split(".")[0] == "ui" for n in names)}
    assert gradio == set()
    assert page == {"resnet.cli.video"}  # the video CLI's captions borrow the page's words (ui.locales: plain data)
    assert all(n.startswith("ui.locales") for n in modules["resnet.cli.video"] if n.split(".")[0] == "ui")


def test_imports_run_one_way_between_the_engines_packages():
    wrong = []
    for module, names in engine_modules().items():
        parts = module.split(".")
        if len(parts) < 3:  # resnet/__init__ and __main__ sit above every package
            continue
        for name in names:
            target = name.split(".")
            inside = target[0] == "resnet" and len(target) > 1 and target[1] in MAY_IMPORT
            if inside and target[1] not in MAY_IMPORT[parts[1]]:
                wrong.append(f"{module} -> {name}")
    assert wrong == []


def test_no_module_imports_itself_round_a_circle():
    modules = engine_modules()
    graph = {m: {n for n in names if n in modules and n != m} for m, names in modules.items()}
    graph = {m: {n for n in targets if not m.startswith(n + ".")} for m, targets in graph.items()}  # a parent package
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def circle_from(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path, module, target]
            if target not in state and (found := circle_from(target, [*path, module])):
                return found
        state[module] = 2
        return None

    circles = [found for m in sorted(graph) if m not in state and (found := circle_from(m, []))]
    assert circles == []


def test_the_app_takes_only_the_flags_from_the_command_line():
    cli = {n for n in imports_of(ROOT / "app.py") if n.startswith("resnet.cli")}
    assert cli == {"resnet.cli.flags", "resnet.cli.flags.add_model_flags"}


def test_no_two_public_functions_of_the_engine_share_a_name():
    """Except each subcommand's ``add_parser`` and ``run``, which ``cli.main`` calls alike."""
    owners: dict[str, list[str]] = {}
    for path in (ROOT / "resnet").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                owners.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in owners.items() if len(paths) > 1}
    assert set(shared) <= {"add_parser", "run"}
    assert all(all(p.startswith("resnet/cli/") for p in shared[name]) for name in shared)


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


def test_modules_and_functions_stay_small():
    """page.py only composes; no module of ui/ or resnet/ over 400 lines (locale data aside), no
    function over 50."""
    assert len((UI / "page.py").read_text().splitlines()) <= 200
    long_modules, long_functions = [], []
    for path in [*UI.rglob("*.py"), *(ROOT / "resnet").rglob("*.py")]:
        text = path.read_text()
        if "locales" not in path.parts and len(text.splitlines()) > 400:
            long_modules.append(path.name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 50:
                long_functions.append(f"{path.name}:{node.name}")
    assert long_modules == [] and long_functions == []
    from ui.page import GROUPS

    tabs = sorted(p.stem for p in (UI / "tabs").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists())
    assert tabs == sorted(tab for _, _, names in GROUPS for tab in names)  # one module (or package) a tab


def test_the_network_is_walked_in_one_place():
    """Only resnet/core/network.py runs the stem and the blocks step by step."""
    engine = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "resnet").rglob("*.py")}
    assert len(engine) > 30
    assert [name for name, text in engine.items() if "maxpool(" in text or "layer1(" in text] == []
    stem_calls = re.compile(r"\b(m|model|self\.model|explainer\.model)\.(conv1|bn1|relu|maxpool)\(")
    assert [name for name, text in engine.items() if stem_calls.search(text)] == []  # walk() runs the stem


def test_translated_words_live_in_the_locale_files_only():
    code = [p for folder in ("ui", "resnet", "bench") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
    assert [str(p.relative_to(ROOT)) for p in code if CJK.search(p.read_text()) and "locales" not in p.parts] == []


def test_every_engine_name_the_docs_use_exists():
    """``from resnet... import ...`` lines and `resnet.x.y` names in the README and docs/ resolve."""
    import importlib

    def resolve(dotted: str) -> object:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for name in parts[cut:]:
                found = getattr(found, name)
            return found
        raise ModuleNotFoundError(dotted)

    names = set()
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = doc.read_text()
        for module, imported in re.findall(r"^from (resnet[\w.]*) import ([\w, ]+)$", text, re.M):
            names |= {f"{module}.{name.strip()}" for name in imported.split(",")}
        names |= set(re.findall(r"`(resnet(?:\.\w+)+)", text))
    assert len(names) > 5
    missing = []
    for name in sorted(names):
        try:
            resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert missing == []
