"""The shape of the code: layering (import-linter), no private names across modules, no import cycles, and a
label for every word of the vocabulary."""
from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from engine import vocabulary
from engine.vocabulary import LABELS, AuditAction

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("engine", "webapp", "forms", "bench")


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(path: Path) -> list[str]:
    """``from other import _name`` and ``other_module._name`` where ``other`` is one of our modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, module_aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(path, node)
            if not source.startswith(OUR_PACKAGES):
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {source}.{alias.name}")
                module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            module_aliases.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith(OUR_PACKAGES))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _is_private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_a_private_name_of_another() -> None:
    offences = [line for path in _sources("engine", "webapp", "bench") for line in private_imports(path)]
    assert offences == []


def test_the_private_name_check_catches_both_forms(tmp_path: Path) -> None:
    sample = ROOT / "engine" / "_architecture_probe.py"
    sample.write_text("from engine.cases.operations import _decide\nfrom engine import journal\njournal._timestamp\n")
    try:
        assert len(private_imports(sample)) == 2
    finally:
        sample.unlink()


def _imports_of(path: Path) -> set[str]:
    """Engine modules imported by ``path`` anywhere in the file (also inside functions), except for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            source = _absolute(path, node)
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if _file_of(candidate) else source)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("engine") and _file_of(m)}


def _file_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def import_cycles() -> list[list[str]]:
    graph = {_module_name(p): _imports_of(p) - {_module_name(p)} for p in _sources("engine")}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_engine_has_no_import_cycles() -> None:
    assert import_cycles() == []


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_every_audit_action_written_by_the_code_is_in_the_vocabulary() -> None:
    written: dict[str, list[str]] = defaultdict(list)
    for path in _sources("engine", "webapp"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) == "record"
                    and len(node.args) >= 1):
                action = node.args[-1] if isinstance(node.args[-1], ast.Constant) else None
                if action is not None and isinstance(action.value, str) and "." in action.value:
                    written[action.value].append(str(path.relative_to(ROOT)))
    unknown = {action: places for action, places in written.items() if action not in set(AuditAction)}
    assert unknown == {}


@pytest.mark.parametrize("vocabulary_class", [cls for cls in vars(vocabulary).values()
                                              if isinstance(cls, type) and issubclass(cls, vocabulary.Labelled)
                                              and cls is not vocabulary.Labelled])
def test_every_word_has_a_chinese_label(vocabulary_class: type[vocabulary.Labelled]) -> None:
    for member in vocabulary_class:
        assert member in LABELS[vocabulary_class] and any("\u4e00" <= ch <= "\u9fff" for ch in member.label), member


DOMAIN_PACKAGES = ("runtime", "cases", "review", "library", "studio", "audit", "identity")


def _public_modules(package: str) -> set[str]:
    tree = ast.parse((ROOT / "engine" / package / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def reaches_past_public_api(path: Path) -> list[str]:
    """Imports of a domain package's module that its ``__all__`` does not name, from outside that package."""
    me = _module_name(path).split(".")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        parts = _absolute(path, node).split(".")
        if len(parts) < 2 or parts[0] != "engine" or parts[1] not in DOMAIN_PACKAGES or me[:2] == parts[:2]:
            continue
        names = [parts[2]] if len(parts) > 2 else [a.name for a in node.names]
        public = _public_modules(parts[1])
        found += [f"{path.relative_to(ROOT)}:{node.lineno} engine.{parts[1]}.{n}" for n in names if n not in public]
    return found


def test_domain_packages_are_used_only_through_their_public_modules() -> None:
    assert [line for path in _sources("engine", "webapp", "bench") for line in reaches_past_public_api(path)] == []


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_every_package_says_what_it_owns(package: str) -> None:
    module = ast.parse((ROOT / "engine" / package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(module) and _public_modules(package)
