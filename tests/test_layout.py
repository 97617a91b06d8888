"""The package's shape: Prefect only in pipeline/flows.py, and no import circle between modules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "pipeline"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """Absolute names of what a module imports (every `import`, or only those at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    return {
        name: {d for d in _imports(path, module_level_only) if d in modules and d != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# The modules that may import Prefect (at any level): the flows module alone; the entry points that
# choose a task runner do it through a function of pipeline/flows.py.
PREFECT_MODULES = ["pipeline.flows"]


def test_prefect_is_imported_only_by_the_flows_module():
    users = sorted(
        _module_name(p)
        for p in PACKAGE.rglob("*.py")
        if any(n.split(".")[0] in ("prefect", "prefect_dask") for n in _imports(p, module_level_only=False))
    )
    assert users == PREFECT_MODULES


def test_no_import_circle_at_module_level():
    assert _cycles(_graph(module_level_only=True)) == []


def test_no_import_circle_even_through_imports_inside_functions():
    """A function-level import hides a circle from Python, not from the reader: none either."""
    assert _cycles(_graph(module_level_only=False)) == []


def test_the_cycle_finder_sees_a_circle_through_a_function_level_import(tmp_path):
    files = {"pipeline.a": tmp_path / "a.py", "pipeline.b": tmp_path / "b.py"}
    files["pipeline.a"].write_text("import pipeline.b\n", encoding="utf-8")
    files["pipeline.b"].write_text("def f():\n    from pipeline.a import g\n", encoding="utf-8")

    def graph(module_level_only: bool) -> dict[str, set[str]]:
        return {m: {d for d in _imports(p, module_level_only) if d in files and d != m} for m, p in files.items()}

    assert _cycles(graph(module_level_only=False)) == [["pipeline.a", "pipeline.b"]]
    assert _cycles(graph(module_level_only=True)) == []


def test_nlp_modules_import_each_other_only_downwards():
    """The nlp layout by job: spelling and morphology import no other nlp module; the gazetteer and
    keys no spaCy component; only the loaders import the components' package."""
    graph = _graph(module_level_only=False)
    nlp = {
        m: {d for d in deps if d.startswith("pipeline.nlp.")}
        for m, deps in graph.items()
        if m.startswith("pipeline.nlp.")
    }
    assert nlp["pipeline.nlp.spelling"] == set()
    assert nlp["pipeline.nlp.morphology"] == set()
    for module in ("pipeline.nlp.gazetteer", "pipeline.nlp.keys", "pipeline.nlp.name_words"):
        assert not any(d.startswith("pipeline.nlp.components") for d in nlp[module]), module
    importers = sorted(m for m, deps in graph.items() if "pipeline.nlp.components" in deps)
    assert importers == ["pipeline.nlp.loaders"]


def _pipelines():
    from pipeline.nlp.loaders import load_language_model, read_model_config
    from pipeline.settings import Settings

    models_dir = Settings.from_env().models_dir.resolve()
    config = read_model_config(models_dir)
    return [(lang, config[lang], load_language_model(models_dir, lang).nlp) for lang in ("en", "ru")]


def test_every_component_declares_what_it_assigns_and_requires():
    for lang, _, nlp in _pipelines():
        ours = [n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory not in ("entity_ruler", "ner")]
        assert len(ours) >= 8, lang
        for name in ours:
            meta = nlp.get_pipe_meta(name)
            assert meta.assigns and meta.requires == ["doc.ents"] or meta.factory == "slovnet_ner", (lang, name)
        # every attribute a component requires is assigned by one before it
        assert all(not problems for problems in nlp.analyze_pipes()["problems"].values()), lang


def test_the_settings_in_models_reach_their_components():
    for lang, spec, nlp in _pipelines():
        for entry in spec["add"]:
            name = entry.get("name", entry["factory"])
            settings = nlp.get_pipe_config(name)
            for key, value in entry.get("config", {}).items():
                got = settings[key]
                assert got.endswith(value) if key.endswith("_file") else got == value, (lang, name, key)


def _called_name(func: ast.expr) -> str | None:
    """The class a call builds: `C(...)`, `m.C(...)`, or `C.__new__(...)` / `C.__init__(...)`."""
    if isinstance(func, ast.Attribute) and func.attr in ("__new__", "__init__"):
        func = func.value
    return getattr(func, "id", getattr(func, "attr", None))


def test_one_morphology_analyzer_for_the_process():
    """pymorphy2's dictionaries are built in one place (pipeline/nlp/morphology.py) and shared."""
    builders = sorted({
        _module_name(p)
        for p in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and _called_name(node.func) in ("MorphVocab", "MorphAnalyzer")
    })
    assert builders == ["pipeline.nlp.morphology"]


def _internal(module: str, graph: dict[str, set[str]]) -> set[str]:
    """The pipeline modules a module imports (names of modules only, not of their members)."""
    return {d for d in graph[module] if d in graph}


def test_raw_folder_ledger_and_store_do_not_reach_into_each_other():
    """Three jobs, three modules: the raw folder (what is there, given the ledger's rows as data),
    the ledger (the manifest's rows, written through the store), the store (files, partitions, the
    lock). Ids and versions sit below all three."""
    graph = _graph(module_level_only=False)
    jobs = {"pipeline.raw_folder", "pipeline.ledger", "pipeline.store"}
    assert _internal("pipeline.raw_folder", graph) & jobs == set()
    assert _internal("pipeline.ledger", graph) & jobs == {"pipeline.store"}
    assert _internal("pipeline.store", graph) & jobs == set()
    assert _internal("pipeline.ids", graph) <= {"pipeline", "pipeline.settings"}


def test_readers_import_only_downwards():
    """One class per format behind `readers.base.Reader`, listed in `readers.READERS`: a reader
    module imports the base (or the reader it extends) and the stages below, never the package's
    registry, the run or the store; no stage imports a reader."""
    graph = _graph(module_level_only=False)
    readers = {m for m in graph if m.startswith("pipeline.readers.")}
    assert readers == {f"pipeline.readers.{n}" for n in ("base", "text", "jsonl", "web", "feed")}
    allowed_readers = {"pipeline.readers.base", "pipeline.readers.text", "pipeline.readers.web"}
    for module in readers:
        deps = _internal(module, graph)
        assert deps & {"pipeline.readers", "pipeline.dump", "pipeline.store", "pipeline.ledger"} == set(), module
        assert {d for d in deps if d.startswith("pipeline.readers.")} <= allowed_readers - {module}, module
        assert not any(d.startswith("pipeline.") and d.split(".")[1] in ("corpus", "flows") for d in deps), module
    for module, deps in graph.items():
        if module.startswith("pipeline.stages."):
            assert not any(d.startswith("pipeline.readers") for d in deps), module


def test_the_registry_lists_one_reader_per_format_in_order():
    from pipeline.readers import READERS, dump_format

    assert [r.format for r in READERS] == ["wet", "warc", "page", "feed", "jsonl", "text"]
    assert dump_format("crawl/CC-MAIN.warc.wet.gz") == "wet" and dump_format("a.warc.gz") == "warc"


def test_nothing_below_the_flows_module_imports_it():
    """The run and its steps are plain Python handed an executor: only entry points reach the flows
    (the commands, and the evaluations, which score what the real flow writes)."""
    entry_points = ("pipeline.commands.", "pipeline.evaluation.")
    users = sorted(
        name
        for name, deps in _graph(module_level_only=False).items()
        if "pipeline.flows" in deps and not name.startswith(entry_points)
    )
    assert users == []
