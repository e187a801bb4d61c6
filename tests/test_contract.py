"""openapi.yaml and the requirement catalogue: valid, complete against the docs, and in step with the cases."""
from __future__ import annotations

import ast
import re

import yaml
from openapi_spec_validator import validate

from conformance.mock.faults import faults, variants
from conformance.requirements import LEVELS, catalogue
from tests.conftest import DOCS, ROOT

SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
OPERATION_OF_SECTION = {"Add a Contact": ("/contacts", "post"), "Delete a Contact": ("/contacts/{id}", "delete")}


def test_spec_is_valid_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def _doc_error_rows() -> list[tuple[str, int, str]]:
    """(section, status, error code) for every row of the docs' error tables."""
    text = (DOCS / "contacts-api.md").read_text(encoding="utf-8")
    rows = []
    for section in re.split(r"\n## ", text)[1:]:
        title = section.splitlines()[0].strip()
        for status, code in re.findall(r"^\|\s*`(\d{3})`\s*\|\s*`([a-z_]+)`", section, flags=re.M):
            rows.append((title, int(status), code))
    return rows


def _const_code(response: dict) -> str:
    ref = response["$ref"].rsplit("/", 1)[-1]
    schema = SPEC["components"]["responses"][ref]["content"]["application/json"]["schema"]
    return schema["allOf"][1]["properties"]["error"]["const"]


def test_every_documented_error_row_is_in_the_spec_with_its_code():
    rows = _doc_error_rows()
    assert len(rows) == 6, f"expected the docs' 4 create rows and 2 delete rows, parsed {rows}"
    for section, status, code in rows:
        path, method = OPERATION_OF_SECTION[section]
        response = SPEC["paths"][path][method]["responses"].get(str(status))
        assert response, f"{method.upper()} {path} lacks the documented {status}"
        assert _const_code(response) == code


def test_every_operation_is_authenticated_and_documents_429_and_401():
    assert SPEC["security"] == [{"bearerAuth": []}]
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"]
            assert "security" not in operation or operation["security"]
            assert {"401", "429"} <= set(operation["responses"]), f"{method} {path}"


def _marked_cases() -> dict[str, set[str]]:
    """requirement id -> names of the case functions marked with it, read from the case modules."""
    marked: dict[str, set[str]] = {}
    for module in (ROOT / "conformance" / "cases").glob("test_*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.requirement":
                        for arg in decorator.args:
                            marked.setdefault(arg.value, set()).add(node.name)
    return marked


def test_catalogue_and_case_markers_agree():
    marked = _marked_cases()
    unknown = set(marked) - set(catalogue())
    assert not unknown, f"cases name requirements missing from the catalogue: {unknown}"
    for requirement in catalogue().values():
        assert requirement.level in LEVELS
        assert set(requirement.cases) == marked.get(requirement.id, set()), requirement.id


def test_every_must_has_a_case_and_a_reference_fault():
    broken = {fault.breaks for fault in faults()}
    for requirement in catalogue().values():
        if requirement.level == "MUST":
            assert requirement.cases, f"{requirement.id} has no case"
            assert requirement.id in broken, f"{requirement.id} has no fault in the reference server"


def test_faults_break_known_must_requirements_and_variants_break_nothing():
    for fault in faults():
        assert catalogue()[fault.breaks].level == "MUST", fault.name
    assert variants() and all(not v.breaks for v in variants())
