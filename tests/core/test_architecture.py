"""Rules of the code's shape that import-linter's contracts (pyproject, `make lint`) do not state:
no import circle anywhere, no private name borrowed from another file, no import by name."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[2] / "src" / "parcours"


def _python_files():
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_between_modules():
    # Function-level imports count too: a circle hidden in a function is still a circle.
    graph = grimp.build_graph("parcours", include_external_packages=False, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_circle():
    """Control: the test above would see one (a ↔ b through a package's __init__ too)."""
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def _private_borrowings(path: Path) -> list[str]:
    """`from x import _name`, or `module._name` on a module imported from the project."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("parcours"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} from {node.module} import {alias.name}")
                candidate = SRC.parent / Path(*f"{node.module}.{alias.name}".split("."))
                if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("parcours"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_used_across_files():
    found = [hit for path in _python_files() for hit in _private_borrowings(path)]
    assert found == [], "Un nom privé (_x) est importé d'un autre fichier : rendez-le public ou déplacez-le"


def test_the_private_name_check_sees_a_borrowing(tmp_path):
    borrowing = tmp_path / "borrowing.py"
    borrowing.write_text(
        "from parcours.workshops.services.registrations import _promote\n"
        "from parcours.core import audit\n"
        "audit._secret()\n"
    )
    assert len(_private_borrowings(borrowing)) == 2


def test_no_import_by_name_in_src():
    """importlib / __import__ hide a dependency from the layer contracts (and fail silently when
    guarded by a fallback): a direct import, or a registry filled from AppConfig.ready()."""
    found = [
        f"{path.relative_to(SRC)}"
        for path in _python_files()
        if "importlib" in path.read_text() or "__import__" in path.read_text()
    ]
    assert found == []


REGISTRIES = ("navigation", "household_panels", "home_cards", "home_sections")
REGISTRATIONS = (
    "navigation.register(",
    "household_panels.register(",
    "home_cards.register(",
    "home_sections.register(",
)


def test_menu_entries_panels_and_cards_register_from_the_faces_extensions_only():
    """One convention: `<face>/extensions_<module>.py`, each imported by the face's AppConfig.ready()."""
    misplaced = [
        str(path.relative_to(SRC))
        for path in _python_files()
        if any(call in path.read_text() for call in REGISTRATIONS)
        and not path.name.startswith("extensions_")
        and path.stem not in REGISTRIES  # their own docstrings show the call
    ]
    assert misplaced == []
    for face in ("backoffice", "portal"):
        ready = (SRC / face / "apps.py").read_text()
        extensions = sorted(p.stem for p in (SRC / face).glob("extensions_*.py"))
        assert extensions, face
        assert [name for name in extensions if name not in ready] == [], f"{face}/apps.py ne les importe pas"


# --- One access policy (issue 17): core/policy.py, nowhere else ------------------------------------
POLICY_LIKE = {"access", "policy", "policies", "permissions", "authz", "authorization", "acl", "rights"}


def _policy_like_modules(root: Path) -> list[str]:
    """Modules outside core whose name says they decide who may do what (a second policy)."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.stem in POLICY_LIKE and path.relative_to(root).parts[0] != "core"
    )


def test_no_access_policy_module_outside_core():
    """Who may see or do what is stated once, in core/policy.py (RULES, URLS, RECORD_RULES)."""
    assert _policy_like_modules(SRC) == [], "Une règle d'accès va dans core/policy.py (RECORD_RULES)"


def test_the_policy_module_check_sees_a_second_policy(tmp_path):
    """Control: the check above would see `workshops/access.py` (it existed before issue 17)."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "policy.py").write_text("")
    (tmp_path / "workshops").mkdir()
    (tmp_path / "workshops" / "access.py").write_text("")
    assert _policy_like_modules(tmp_path) == ["workshops/access.py"]


def test_no_model_keeps_its_own_access_hook():
    """`policy_in_scope` methods were the MAP's private policy: core.policy no longer reads them, so one
    left on a model would be silently ignored. The rule goes into core.policy.RECORD_RULES."""
    found = [
        f"{path.relative_to(SRC)}" for path in _python_files() if "def policy_in_scope" in path.read_text()
    ]
    assert found == []


def test_every_record_rule_names_a_model(monkeypatch):
    """A renamed model stops the start (CoreConfig.ready) rather than silently losing its rule."""
    import pytest
    from django.apps import apps

    from parcours.core import policy

    policy.check_record_rules()
    for label in policy.RECORD_RULES:
        assert apps.get_model(label)
    monkeypatch.setitem(
        policy.RECORD_RULES, "workshops.renamedworkshop", policy.RECORD_RULES["workshops.workshop"]
    )
    with pytest.raises(LookupError):
        policy.check_record_rules()


# --- Selectors take the actor (issue 17) -----------------------------------------------------------
# Each exception says why the function has no acting user. Anything else in `<app>/selectors.py` that
# is public takes `actor` first and applies the policy itself (PATTERNS.md, « A read »).
NO_ACTOR = {
    # Registration at start, reads nothing.
    "notifications.register_probes": "registers the household page's probes at start",
    "pathways.register_probes": "registers the household page's probes at start",
    "protection.register_probes": "registers the household page's probes at start",
    "workshops.register_probes": "registers the household page's probes at start",
    # Pure helpers over values or querysets an actor-taking selector already scoped.
    "accompaniment.week_bounds": "date arithmetic, reads nothing",
    "doctrine.facet_counts": "counts over a queryset already scoped by search()",
    "doctrine.counts_by": "counts over rows already scoped by the caller",
    "workshops.prefetch_roster": "adds a prefetch to a queryset already scoped by the caller",
    "workshops.identity_key": "folds a public registrant's name: a pure function, reads nothing",
    # Cache bookkeeping of the worklists' counts, keyed by the account.
    "pathways.counts_cache_key": "the cache key of one account's counts (worklist_counts takes the actor)",
    "pathways.forget_counts": "drops cached counts after a write (services call it)",
    # Safety rules asked by services for every door, the public's and the import's included: no
    # acting user, and never shown as such.
    "pathways.violence_reported": "safety rule (workshops never put both parents together)",
    "workshops.other_parent_sessions": "safety rule: never the other parent's session (public door too)",
    "workshops.sensitive_household_of": "safety rule asked on the public registration form",
    "workshops.other_parent_registrations": "the same safety rule as a query, nested in the registration's facts",
    "workshops.contact_variants": "the stored forms of a contact: a pure function, reads nothing",
    # Reference data without personal data.
    "pathways.national_template": "the national template: reference data, read by the import too",
    "pathways.national_versions": "the national template's versions: reference data",
    "pathways.template_usage": "counts of pathways per template id (pilot pages scope the templates)",
    "protection.ceilings_in_force": "the national AUU scale, read by the decision rule",
    "workshops.facilitator_choices": "staff accounts of a department for a form the view checked",
    "workshops.facilitator_candidates": "staff accounts of a department for a form the view checked",
    # The public pages: published sessions only, never who is registered; the actor is the public.
    "workshops.open_workshops": "published sessions open for registration (public and link holders)",
    "workshops.workshops_by_distance": "orders sessions the public page already chose: reads no record",
    "workshops.public_departments": "public page",
    "workshops.public_department": "public page",
    "workshops.public_workshops": "public page",
    "workshops.public_workshop": "public page",
}


def _selector_signatures(root: Path) -> dict[str, str | None]:
    """`app.function` → the name of its first parameter (None without any), public functions only."""
    found = {}
    for path in sorted(root.glob("*/selectors.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                found[f"{path.parent.name}.{node.name}"] = args[0].arg if args else None
    return found


def test_every_public_selector_takes_the_actor_first():
    signatures = _selector_signatures(SRC)
    offenders = sorted(
        name for name, first in signatures.items() if first != "actor" and name not in NO_ACTOR
    )
    assert offenders == [], "Un sélecteur prend l'utilisateur qui agit en premier (`actor`) : " + ", ".join(
        offenders
    )
    stale = sorted(name for name in NO_ACTOR if name not in signatures or signatures[name] == "actor")
    assert stale == [], f"Exceptions devenues inutiles : {stale}"


def test_the_selector_check_sees_a_selector_taking_an_object(tmp_path):
    """Control: `roster(workshop)` (as it was before issue 17) is found; `roster(actor, workshop)` is not."""
    (tmp_path / "workshops").mkdir()
    (tmp_path / "workshops" / "selectors.py").write_text(
        "def roster(workshop):\n    pass\n\ndef counts(actor, workshop):\n    pass\n\ndef _helper(x):\n    pass\n"
    )
    assert _selector_signatures(tmp_path) == {"workshops.roster": "workshop", "workshops.counts": "actor"}
