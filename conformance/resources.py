"""The files the checker ships inside its package (the contract and the requirement catalogue), found the same way
from a clone, a wheel or pipx. A missing or unreadable one is a broken installation: the checker's fault, never the
target's."""
from __future__ import annotations

import functools

from importlib.resources import files
from pathlib import Path

import yaml

SPEC_NAME = "openapi.yaml"
CATALOGUE_NAME = "requirements.yaml"


class MissingResource(Exception):
    """A file the installed package should contain is missing or unreadable."""


def _path(name: str) -> Path:
    found = Path(str(files("conformance").joinpath(name)))  # pip installs packages unzipped: a real file
    if not found.is_file():
        raise MissingResource(f"{name} is missing from the installed conformance package ({found}); reinstall it")
    return found


def spec_path() -> Path:
    """openapi.yaml, as a path (schemathesis and `st run` read the spec from a file)."""
    return _path(SPEC_NAME)


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The parsed file (parsed once per process: callers must not change it)."""
    path = _path(name)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first_line = (str(exc) or type(exc).__name__).splitlines()[0]
        raise MissingResource(f"cannot read {path}: {first_line}") from None
    if not isinstance(data, dict):
        raise MissingResource(f"{path} does not hold a YAML mapping; reinstall the package")
    return data


def check() -> None:
    """Read every shipped file before a run starts, so that a broken installation stops it before any case."""
    load(SPEC_NAME)
    load(CATALOGUE_NAME)
