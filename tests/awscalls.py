"""Which AWS API calls each function's code can make, read from the source (no code is run).

A call graph over the shipped package and the handlers, resolved by name: every def reachable
from a handler module, its lazy imports and callbacks included, and in those defs every call of
an AWS client method (``<client>.get_item(...)``, ``.get_paginator("query")``) or of a library
that calls AWS itself (Powertools' ``SecretsProvider``). tests/test_template.py compares the
result with the reviewed table of each function's calls, so a new call in the code cannot go
unnoticed (and ungranted), nor a grant outlive the code that needed it.

How names resolve (an over-approximation where Python cannot be read statically):

- a def decorated by a method (``@router.get(...)``, ``@app.exception_handler(...)``) is
  reached with its module's top level: the object it was handed to calls it;
- ``f()``, ``Cls()``: the def of that name in the module or imported into it; a class brings
  its dunder methods (``__init__``, ``__call__``, ...);
- ``module.f``: that module's def (``from groupaudit.adapters import s3`` then ``s3.get_bytes``);
- ``self.m``: the method of the def's own class, else nothing (an instance attribute);
- ``anything.m(...)``: every method named ``m`` of every class (the receiver's type is unknown);
  ``anything.p`` not called: only properties named ``p``;
- a module-level name read in a def brings the expression assigned to it; a string that names
  a module (``importlib.import_module(SOURCES[platform])``) brings all of that module's defs;
- reaching any def of a module runs that module's top-level code (its import).

A client call is ``X.op(...)`` where ``op`` is an operation of one of :data:`SERVICES` (their
botocore models) and ``X`` ends in a name that holds a client here (:data:`CLIENT_NAMES`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SERVICES = ("dynamodb", "s3", "sqs", "secretsmanager")
CLIENT_NAMES = frozenset({"client", "_client", *SERVICES})
# Library entry points that make AWS calls of their own, by the name the code uses.
LIBRARY_CALLS = {"SecretsProvider": ("secretsmanager", "get_secret_value")}
TOP = "<module>"
Call = tuple[str, str]  # (service, snake_case operation)


@cache
def operations() -> dict[str, frozenset[str]]:
    """The snake_case operation names of each service, from botocore's models."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    return {
        service: frozenset(xform_name(name) for name in session.get_service_model(service).operation_names)
        for service in SERVICES
    }


def package_sources(root: Path, package: str, excluded: Iterable[str] = ()) -> dict[str, str]:
    """Module name -> source of every module under ``root/package``, less ``excluded``
    (paths relative to ``root``: a folder or a file)."""
    skip = [root / path for path in excluded]
    sources = {}
    for path in sorted((root / package).rglob("*.py")):
        if any(path == s or s in path.parents for s in skip):
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return sources


def makefile_variable(root: Path, name: str) -> list[str]:
    """The words of a ``NAME := ...`` line of the Makefile."""
    for line in (root / "Makefile").read_text(encoding="utf-8").splitlines():
        variable, _, value = line.partition(":=")
        if variable.strip() == name:
            return value.split()
    raise KeyError(f"the Makefile sets no {name}")


def shipped_sources(root: Path) -> dict[str, str]:
    """The code the functions run: the package as the layer holds it (less the Makefile's
    LAYER_EXCLUDES) and each function's handler, as ``functions.<name>.handler``."""
    sources = package_sources(root / "shared", "groupaudit", makefile_variable(root, "LAYER_EXCLUDES"))
    for handler in sorted((root / "functions").glob("*/handler.py")):
        sources[f"functions.{handler.parent.name}.handler"] = handler.read_text(encoding="utf-8")
    return sources


@dataclass
class _Def:
    module: str
    node: ast.AST
    owner: str | None = None  # the key of the class of a method


@dataclass
class CallGraph:
    sources: Mapping[str, str]
    defs: dict[str, _Def] = field(default_factory=dict)
    functions: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> name -> key
    methods: dict[str, set[str]] = field(default_factory=dict)  # method name -> keys
    class_methods: dict[str, dict[str, str]] = field(default_factory=dict)  # class key -> name -> key
    class_bases: dict[str, list[str]] = field(default_factory=dict)  # class key -> base names
    properties: set[str] = field(default_factory=set)
    imports: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        trees = {module: ast.parse(source, module) for module, source in self.sources.items()}
        for module, tree in trees.items():
            self._index(module, tree)
        for module, tree in trees.items():
            self.imports[module] = self._imports_of(module, tree)
        self._edges: dict[str, tuple[set[str], set[Call], bool]] = {}

    # --- index ------------------------------------------------------------------------------

    def _index(self, module: str, tree: ast.Module) -> None:
        self.defs[f"{module}:{TOP}"] = _Def(module, tree)
        names = self.functions.setdefault(module, {})
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names[node.name] = key = f"{module}:{node.name}"
                self.defs[key] = _Def(module, node)
            elif isinstance(node, ast.ClassDef):
                names[node.name] = class_key = f"{module}:{node.name}"
                self.defs[class_key] = _Def(module, node)
                own = self.class_methods.setdefault(class_key, {})
                self.class_bases[class_key] = [n for n in map(_decorator_name, node.bases) if n]
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        own[item.name] = key = f"{class_key}.{item.name}"
                        self.defs[key] = _Def(module, item, owner=class_key)
                        self.methods.setdefault(item.name, set()).add(key)
                        decorators = {_decorator_name(d) for d in item.decorator_list}
                        if decorators & {"property", "cached_property"}:
                            self.properties.add(key)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.defs[f"{module}:={name.id}"] = _Def(module, node)

    def _imports_of(self, module: str, tree: ast.Module) -> dict[str, tuple[str, ...]]:
        """alias -> ("module", name) or ("attr", module, name), over the whole module (lazy
        imports in functions too); only imports of modules of :attr:`sources`."""
        is_package = any(other.startswith(module + ".") for other in self.sources)
        package = module if is_package else module.rpartition(".")[0]
        table: dict[str, tuple[str, ...]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in self.sources:
                        table[alias.asname] = ("module", alias.name)
                    elif alias.name.partition(".")[0] in self.sources:
                        table[alias.name.partition(".")[0]] = ("module", alias.name.partition(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parents, base] if base else parents)
                for alias in node.names:
                    name = alias.asname or alias.name
                    if f"{base}.{alias.name}" in self.sources:
                        table[name] = ("module", f"{base}.{alias.name}")
                    elif base in self.sources:
                        table[name] = ("attr", base, alias.name)
                    else:
                        table[name] = ("external", base, alias.name)
        return table

    # --- edges ------------------------------------------------------------------------------

    def _named(self, module: str, name: str) -> set[str]:
        key = self.functions.get(module, {}).get(name)
        if key is None:
            return set()
        found = {key, f"{module}:{TOP}"}
        if key in self.class_methods:
            dunders = self.class_methods[key].items()
            found |= {k for n, k in dunders if n.startswith("__") and n.endswith("__")}
        return found

    def _edges_of(self, key: str) -> tuple[set[str], set[Call], bool]:
        """(defs it refers to, client calls it makes, whether it passes an IndexName)."""
        if key in self._edges:
            return self._edges[key]
        entry = self.defs[key]
        module, node = entry.module, entry.node
        statements: list[ast.AST | None]
        if isinstance(node, ast.Module):
            nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            statements = [s for s in node.body if not isinstance(s, nested)]
            statements += [d for s in node.body if isinstance(s, nested) for d in s.decorator_list]
        elif isinstance(node, ast.ClassDef):
            statements = [s for s in node.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
            statements += node.decorator_list + node.bases
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            statements = [node.value]
        else:  # the defs are modules, classes, assignments and functions (see __init__)
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef), node
            statements = [*node.body, *node.decorator_list, *node.args.defaults, *node.args.kw_defaults]
        nodes = [n for statement in statements if statement is not None for n in ast.walk(statement)]
        called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        imports = self.imports[module]
        refs: set[str] = {f"{module}:{TOP}"}
        if isinstance(node, ast.Module):  # defs registered by a decorator (routes, error handlers)
            refs |= {f"{module}:{s.name}" for s in node.body if isinstance(s, nested) and _registers(s)}
        calls: set[Call] = set()
        index = False
        for n in nodes:
            if isinstance(n, ast.keyword) and n.arg == "IndexName":
                index = True
            if (
                not isinstance(node, ast.Module)
                and isinstance(n, ast.Constant)
                and isinstance(n.value, str)
                and n.value in self.sources
            ):
                refs |= {f"{n.value}:{TOP}", *self.functions[n.value].values()}
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                refs |= self._name(module, n.id)
                if n.id in LIBRARY_CALLS and imports.get(n.id, ("",))[0] == "external":
                    calls.add(LIBRARY_CALLS[n.id])
            elif isinstance(n, ast.Attribute):
                refs |= self._attribute(module, entry.owner, n, id(n) in called)
                if n.attr in LIBRARY_CALLS:
                    calls.add(LIBRARY_CALLS[n.attr])
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                call = _client_call(n)
                if call:
                    calls.add(call)
        self._edges[key] = (refs, calls, index)
        return self._edges[key]

    def _name(self, module: str, name: str) -> set[str]:
        found = self._named(module, name)
        if f"{module}:={name}" in self.defs:
            found.add(f"{module}:={name}")
        target = self.imports[module].get(name)
        if target and target[0] == "attr":
            found |= self._named(target[1], target[2]) | {f"{target[1]}:{TOP}"}
        elif target and target[0] == "module":
            found.add(f"{target[1]}:{TOP}")
        return found

    def _attribute(self, module: str, owner: str | None, n: ast.Attribute, is_called: bool) -> set[str]:
        value = n.value
        if isinstance(value, ast.Name):
            target = self.imports[module].get(value.id)
            if target and target[0] == "module":
                submodule = f"{target[1]}.{n.attr}"
                found = self._named(target[1], n.attr) | {f"{target[1]}:{TOP}"}
                return found | ({f"{submodule}:{TOP}"} if submodule in self.sources else set())
            if value.id in ("self", "cls") and owner:
                return self._own_method(owner, n.attr)
        candidates = self.methods.get(n.attr, set())
        return set(candidates) if is_called else {k for k in candidates if k in self.properties}

    def _own_method(self, class_key: str, name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """``self.name`` in a method of ``class_key``: its method, or an inherited one (bases
        matched by name), or nothing (an instance attribute)."""
        own = self.class_methods[class_key].get(name)
        if own:
            return {own}
        found: set[str] = set()
        for base in self.class_bases[class_key]:
            for other in self.class_methods:
                if other.rpartition(":")[2] == base and other not in seen:
                    found |= self._own_method(other, name, seen | {class_key})
        return found

    # --- queries ----------------------------------------------------------------------------

    def reachable(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            key = todo.pop()
            if key in seen or key not in self.defs:
                continue
            seen.add(key)
            todo.extend(self._edges_of(key)[0])
        return seen

    def module_roots(self, module: str) -> list[str]:
        """A handler module: its top level and every def in it (Lambda calls into them)."""
        return [key for key, entry in self.defs.items() if entry.module == module]

    def calls_from(self, module: str) -> set[Call]:
        """The client calls the code reachable from ``module`` can make."""
        return {call for key in self.reachable(self.module_roots(module)) for call in self._edges_of(key)[1]}

    def where(self, module: str, call: Call) -> list[str]:
        """The reachable defs that make ``call`` (to explain a difference)."""
        return sorted(k for k in self.reachable(self.module_roots(module)) if call in self._edges_of(k)[1])

    def queries_an_index(self, module: str) -> bool:
        """Whether reachable code passes an ``IndexName`` (a Query of a secondary index)."""
        return any(self._edges_of(key)[2] for key in self.reachable(self.module_roots(module)))


def _registers(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """Whether a decorator hands the def to an object that calls it (``@router.get(...)``,
    ``@app.exception_handler(...)``, ``@router.not_found``): the framework reaches it once the
    module is imported."""
    return any(
        isinstance(d, ast.Attribute) or (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute))
        for d in node.decorator_list
    )


def _decorator_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _tail(node: ast.AST) -> str | None:
    """The last name of a receiver: ``self.client`` -> client, ``_client(c)`` -> _client."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _tail(node.func)
    return None


def _client_call(node: ast.Call) -> Call | None:
    assert isinstance(node.func, ast.Attribute)
    receiver = _tail(node.func.value)
    if receiver not in CLIENT_NAMES:
        return None
    operation = node.func.attr
    if operation == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
        operation = str(node.args[0].value)
    services = [service for service, names in operations().items() if operation in names]
    if len(services) > 1 and receiver in services:
        services = [receiver]
    if len(services) > 1:
        raise ValueError(f"{operation} is an operation of {services}: name the client after its service")
    return (services[0], operation) if services else None


def imported_modules(sources: Mapping[str, str], roots: Iterable[str]) -> set[str]:
    """The modules of ``sources`` that importing ``roots`` and calling anything in them can
    import: every import of each module (those inside functions too) and every string naming
    a module, followed to the end; each module's parent packages too."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in seen or module not in sources:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:end]) for end in range(1, len(parts)))
        for node in ast.walk(ast.parse(sources[module], module)):
            if isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                todo.append(node.module)
                todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in sources:
                todo.append(node.value)
    return seen
