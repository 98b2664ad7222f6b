"""Where Python source could import a package: import statements and import-like calls, found on the AST.

Used to rewrite the vendored packages' imports, to check that rewrite, and to keep the core free of what
the hosts lack."""

from __future__ import annotations

import ast

# Calls whose first argument names a package to import or to read resources from (certifi's files("certifi")).
IMPORTISH_CALLS = {
    "import_module",
    "__import__",
    "files",
    "get_path",
    "path",
    "read_text",
    "read_binary",
    "open_text",
    "open_binary",
    "contents",
    "is_resource",
    "find_spec",
    "as_file",
}


def parents_of(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def guarded_by_import_error(node: ast.AST, parents: dict) -> bool:
    """True if node sits in the body of a `try` that handles ImportError (an optional import)."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if handler.type is None or any(
                    getattr(n, "id", "") in ("ImportError", "ModuleNotFoundError", "Exception") for n in names
                ):
                    return True
        node = parent
    return False


def call_name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def find_top_level_uses(
    source: bytes, names: set[str], where: str, allow: set[str] = frozenset(), name_lists: bool = False
) -> list[str]:
    """Every way `source` could still import a top-level package in `names`: import statements and
    import-like calls with a literal package name, and with name_lists also tuples/lists of such names
    (requests loops over one). Used to verify the vendoring rewrite, and the core."""
    tree = ast.parse(source, filename=where)
    parents = parents_of(tree)
    found = []
    for node in ast.walk(tree):
        hits: list[str] = []
        if isinstance(node, ast.Import):
            hits = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            hits = [node.module or ""]
        elif isinstance(node, ast.Call) and call_name(node) in IMPORTISH_CALLS and node.args:
            arg = node.args[0]
            hits = [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []
        elif name_lists and isinstance(node, (ast.Tuple, ast.List)):
            hits = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        for hit in hits:
            if hit.split(".")[0] in names and hit.split(".")[0] not in allow:
                guarded = " (optional)" if guarded_by_import_error(node, parents) else ""
                found.append(f"{where}:{node.lineno}: {hit}{guarded}")
    return found
