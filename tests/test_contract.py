"""openapi.yaml and the requirement catalogue: valid, complete against the docs' error tables, in step with the cases."""
from __future__ import annotations

import ast

import yaml
from openapi_spec_validator import validate

from conformance.mock.faults import faults, variants
from conformance import resources
from conformance.requirements import LEVELS, catalogue
from tests.conftest import ROOT

SPEC = resources.load(resources.SPEC_NAME)
DOCUMENTED_ERRORS = yaml.safe_load((ROOT / "tests" / "documented_errors.yaml").read_text(encoding="utf-8"))["errors"]


def test_spec_is_valid_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_root_openapi_yaml_is_the_packaged_spec():
    assert (ROOT / "openapi.yaml").resolve() == resources.spec_path().resolve()


def _const_code(response: dict) -> str:
    ref = response["$ref"].rsplit("/", 1)[-1]
    schema = SPEC["components"]["responses"][ref]["content"]["application/json"]["schema"]
    return schema["allOf"][1]["properties"]["error"]["const"]


def test_every_documented_error_row_is_in_the_spec_with_its_code():
    assert len(DOCUMENTED_ERRORS) == 6, "the docs have 4 create rows and 2 delete rows"
    for row in DOCUMENTED_ERRORS:
        method, path = row["operation"].split()
        response = SPEC["paths"][path][method.lower()]["responses"].get(str(row["status"]))
        assert response, f"{row['operation']} lacks the documented {row['status']} ({row['doc']})"
        assert _const_code(response) == row["error"], row["doc"]


def test_the_judgements_pin_every_documented_error_code():
    from conformance.judgements import CODES, DOCUMENTED_CODES  # the spec cases' check and the traffic judge use them
    for row in DOCUMENTED_ERRORS:
        assert DOCUMENTED_CODES[(row["operation"].split()[0], row["status"])] == row["error"], row["doc"]
        assert CODES[row["status"]] == row["error"], row["doc"]


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
    assert "ERROR-REQUEST-ID" in broken  # SHOULD rules may have faults too: the self-check wants them reported


def test_faults_break_known_requirements_and_variants_break_nothing():
    for fault in faults():
        assert catalogue()[fault.breaks].level in ("MUST", "SHOULD"), fault.name
        assert all(catalogue()[also].level == "MUST" for also in fault.also_breaks), fault.name
    assert variants() and all(not v.breaks and not v.also_breaks for v in variants())
