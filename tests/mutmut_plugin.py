"""A pytest plugin for `make mutate` only (pyproject.toml, [tool.mutmut]; not loaded by other runs).

mutmut 3.7 reads ``item._nodeid`` when it maps each test to the functions it calls; pytest 9 keeps
the id as ``item.nodeid`` alone, so without this alias mutmut stops before testing any mutant.
"""

from __future__ import annotations

from _pytest.nodes import Node

if not hasattr(Node, "_nodeid"):
    Node._nodeid = property(lambda self: self.nodeid)  # type: ignore[attr-defined]
