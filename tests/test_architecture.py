"""How bot/ is put together, checked from the source with ``ast``: no import cycle among bot
modules, the database only inside bot/store, no import that silently switches a part off,
checks/ independent of bot/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The bot modules ``name`` imports at run time (top level or inside functions; imports
    under ``if TYPE_CHECKING:`` do not run and are left out)."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    package = (
        name
        if name in known and (ROOT / name.replace(".", "/")).is_dir()
        else name.rpartition(".")[0]
    )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _graph(package: str) -> dict[str, set[str]]:
    modules = _modules(package)
    known = set(modules)
    graph = {name: _imports(name, tree, known) for name, tree in modules.items()}
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    return {
        name: {t for t in targets if not t.startswith(name + ".")}
        for name, targets in graph.items()
    }


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_bot_modules():
    assert _cycles(_graph("bot")) == []


def test_only_the_store_talks_to_the_database():
    offenders = []
    for name, tree in _modules("bot").items():
        if name == "bot.store" or name.startswith("bot.store."):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "sqlmodel",
                "sqlalchemy",
            ):
                offenders.append(f"{name}: from {node.module} import ...")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Session"
            ):
                offenders.append(f"{name}: Session(...)")
    assert offenders == []


def test_no_bot_import_hides_behind_except_import_error():
    # `try: import bot.x except ImportError` would silently switch a part off on a real bug.
    offenders = []
    for name, tree in _modules("bot").items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            imports_bot = any(
                isinstance(inner, ast.Import | ast.ImportFrom)
                and "bot" in ast.unparse(inner).split()[1].split(".")[:1]
                for statement in node.body
                for inner in ast.walk(statement)
            )
            catches = any(
                h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers
            )
            if imports_bot and catches:
                offenders.append(f"{name}, line {node.lineno}")
    assert offenders == []


def test_checks_never_import_bot():
    bot_modules = set(_modules("bot")) | {"bot"}
    offenders = [
        f"{name} imports {target}"
        for name, tree in _modules("checks").items()
        for target in _imports(name, tree, bot_modules)
        if target == "bot" or target.startswith("bot.")
    ]
    assert offenders == []


def test_reports_and_handover_never_import_bot():
    bot_modules = set(_modules("bot")) | {"bot"}
    offenders = [
        f"{name} imports {target}"
        for package in ("reports", "handover")
        for name, tree in _modules(package).items()
        for target in _imports(name, tree, bot_modules)
        if target == "bot" or target.startswith("bot.")
    ]
    assert offenders == []


def test_reports_import_nothing_but_checks_and_themselves():
    known = set(_modules("handover")) | {"handover"} | set(_modules("bot")) | {"bot"}
    offenders = [
        f"{name} imports {target}"
        for name, tree in _modules("reports").items()
        for target in _imports(name, tree, known)
    ]
    assert offenders == []
