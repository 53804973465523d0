"""The layout the apps keep (docs/architecture.md). Import directions are checked by
import-linter in `make test`; these check what it does not."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ["kernel", "complaints", "notifications", "sla", "intake", "workspace", "followup",
        "desk", "reports", "demo", "config"]


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _imports_inside_functions(tree: ast.AST) -> list[tuple[int, str]]:
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # AppConfig.ready() is where Django wants an app's start-up imports.
                visit(child, in_function or child.name != "ready")
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                names = [child.module or ""] if isinstance(child, ast.ImportFrom) else \
                    [alias.name for alias in child.names]
                relative = isinstance(child, ast.ImportFrom) and child.level > 0
                if relative or any(name.split(".")[0] in APPS for name in names):
                    found.append((child.lineno, ast.unparse(child)))
            else:
                visit(child, in_function)

    visit(tree, False)
    return found


def test_no_project_import_hides_inside_a_function():
    hidden = [f"{path.relative_to(ROOT)}:{line}: {text}" for path in _modules()
              for line, text in _imports_inside_functions(ast.parse(path.read_text()))]
    assert hidden == []


def test_the_check_finds_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from complaints import services\n    return services\n")
    assert _imports_inside_functions(tree) == [(2, "from complaints import services")]


def test_no_file_is_over_600_lines():
    long = {str(path.relative_to(ROOT)): n for path in ROOT.glob("**/*.py")
            if ".venv" not in path.parts and ".bench" not in path.parts  # the bench's venv
            and "migrations" not in path.parts
            and (n := len(path.read_text().splitlines())) > 600}
    assert long == {}


def test_complaints_holds_only_the_record():
    models = {m.__name__ for m in apps.get_app_config("complaints").get_models()}
    assert models == {"Customer", "Department", "Category", "Complaint", "Activity",
                      "Attachment", "PersonalDataAccess", "ReferenceCounter",
                      # complaints.events' own record of receivers that failed (issue 15)
                      "ReceiverFailure"}
