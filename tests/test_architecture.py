"""The package's shape, read from its source: no import cycle, every import at the top of its module (none
hidden in a function to dodge a cycle), and layers that import downward only (docs/architecture.md)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coach_server"
NAME = "coach_server"

# What each part may not import: the core knows nothing of the ring around it; service/ knows nothing of
# the pages or the store; the store knows nothing of the service; only the composition root and the CLI
# know everything.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "coach_server.models": ("coach_server.",),  # …but the leaves below
    "coach_server.text": ("coach_server.engine", "coach_server.checks", "coach_server.rulebook",
                          "coach_server.conversation", "coach_server.service", "coach_server.web",
                          "coach_server.store", "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.conversation": ("coach_server.engine", "coach_server.checks", "coach_server.rulebook",
                                  "coach_server.service", "coach_server.web", "coach_server.store",
                                  "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.chatmemory": ("coach_server.engine", "coach_server.checks", "coach_server.rulebook",
                                "coach_server.service", "coach_server.web", "coach_server.store",
                                "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.checks": ("coach_server.engine", "coach_server.rulebook", "coach_server.service",
                            "coach_server.web", "coach_server.store", "coach_server.audit", "coach_server.server",
                            "coach_server.cli"),
    "coach_server.rulebook": ("coach_server.service", "coach_server.web", "coach_server.store",
                              "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.engine": ("coach_server.service", "coach_server.web", "coach_server.store", "coach_server.audit",
                            "coach_server.server", "coach_server.cli"),
    "coach_server.feedback": ("coach_server.engine", "coach_server.service", "coach_server.web",
                              "coach_server.store", "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.corpus": ("coach_server.engine", "coach_server.service", "coach_server.web",
                            "coach_server.store", "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.scenarios": ("coach_server.service", "coach_server.web", "coach_server.store",
                               "coach_server.audit", "coach_server.server", "coach_server.cli"),
    "coach_server.audit": ("coach_server.service", "coach_server.web", "coach_server.store", "coach_server.server",
                           "coach_server.cli"),
    "coach_server.quality": ("coach_server.service", "coach_server.web", "coach_server.store", "coach_server.server",
                             "coach_server.cli"),
    "coach_server.store": ("coach_server.service", "coach_server.web", "coach_server.audit", "coach_server.server",
                           "coach_server.cli", "coach_server.engine"),
    "coach_server.service": ("coach_server.web", "coach_server.store", "coach_server.audit", "coach_server.server",
                             "coach_server.cli"),
    "coach_server.web": ("coach_server.server", "coach_server.cli", "coach_server.audit"),
    "coach_server.server": ("coach_server.cli",),
}


# Leaf modules that import nothing of the package: any layer may use them.
LEAVES = ("coach_server.caching",)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, ast.stmt]]:
    """(imported module of this package, the statement) for every import anywhere in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node) for alias in node.names if alias.name.startswith(NAME)]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, is_package, node)
            if not target.startswith(NAME):
                continue
            for alias in node.names:  # `from . import x` imports the module x when there is one
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in known else target, node))
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: {target for target, _ in imports_of(m, p, known) if target in known and target != m}
            for m, p in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_import_is_at_the_top_of_its_module():
    """No import inside a function or a class (the usual way to hide a cycle), nor under TYPE_CHECKING."""
    misplaced = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                misplaced.append(f"{module}:{node.lineno}")
    assert misplaced == []


def test_layers_import_downward_only():
    wrong = []
    for module, targets in graph().items():
        for part, forbidden in FORBIDDEN.items():
            if module == part or module.startswith(part + "."):
                wrong += [f"{module} → {t}" for t in targets if any(t == f or t.startswith(f) for f in forbidden)
                          and not (t == part or t.startswith(part + ".")) and t not in LEAVES]
    assert wrong == []


def test_leaves_import_nothing_of_the_package():
    edges = graph()
    assert {leaf: edges[leaf] for leaf in LEAVES} == {leaf: set() for leaf in LEAVES}
