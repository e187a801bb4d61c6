"""The contract as a product: openapi.yaml is lint-clean under Spectral (spectral:oas) and Redocly (recommended),
every response with a body has an example that its own schema accepts, and `conformance spec` hands it out."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from conformance import resources
from tests.conftest import ROOT, run_cli

SPECTRAL = ROOT / ".tools/spectral/node_modules/.bin/spectral"
REDOCLY = ROOT / ".tools/redocly/node_modules/.bin/redocly"
SPEC = resources.spec_path()


def linter(path) -> str:
    if not path.is_file():  # never a skip: a missing linter would let the contract drift unseen
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make linters` (make test installs it)")
    return str(path)


def test_spectral_oas_finds_nothing():
    done = subprocess.run([linter(SPECTRAL), "lint", str(SPEC), "--ruleset", str(ROOT / ".spectral.yaml"),
                           "-f", "json", "-q"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert json.loads(done.stdout) == [], done.stdout + done.stderr


def test_redocly_recommended_finds_nothing():
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    done = subprocess.run([linter(REDOCLY), "lint", str(SPEC), "--config", str(ROOT / "redocly.yaml"),
                           "--format", "json"], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    result = json.loads(done.stdout)
    assert result["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, result["problems"]


def responses(spec: dict):
    """(where, response) for every response of every operation, a $ref to a shared one followed."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                yield f"{method.upper()} {path} {status}", response


def validator(spec: dict, schema: dict) -> Draft202012Validator:
    """The schema with the spec's components beside it, so its $refs resolve as they do in the spec."""
    return Draft202012Validator({**schema, "components": spec["components"]}, format_checker=FormatChecker())


def test_every_response_with_a_body_has_an_example_its_schema_accepts():
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    checked = 0
    for where, response in responses(spec):
        for media_type, content in response.get("content", {}).items():
            assert "example" in content, f"{where} {media_type} has no example"
            errors = [e.message for e in validator(spec, content["schema"]).iter_errors(content["example"])]
            assert errors == [], f"{where}: {errors}"
            checked += 1
        for name, header in response.get("headers", {}).items():
            assert "example" in header, f"{where} header {name} has no example"
            assert list(validator(spec, header["schema"]).iter_errors(header["example"])) == [], where
    assert checked >= 13


def test_an_example_that_breaks_its_schema_is_caught():
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    conflict = spec["components"]["responses"]["Conflict"]["content"]["application/json"]
    assert not validator(spec, conflict["schema"]).is_valid({**conflict["example"], "error": "not_found"})


def test_spec_command_writes_the_bundled_contract(tmp_path):
    printed = run_cli("spec")
    assert printed.returncode == 0 and printed.stdout == SPEC.read_text(encoding="utf-8")
    done = run_cli("spec", "--output", str(tmp_path / "openapi.yaml"))
    assert done.returncode == 0 and (tmp_path / "openapi.yaml").read_bytes() == SPEC.read_bytes()
    refused = run_cli("spec", "--output", str(tmp_path / "no-such-folder" / "openapi.yaml"))
    assert refused.returncode == 2 and refused.stderr.startswith("conformance: cannot write ")
    assert "Traceback" not in refused.stderr
