"""The checker's pytest plugin: loaded by conformance/cases/conftest.py, so `conformance run` and a plain
`pytest conformance/cases --base-url …` run the cases the same way, from a clone or an installed wheel.

Each module is one job; pytest registers each of them as a plugin (their hooks and fixtures) in this order."""
from __future__ import annotations

pytest_plugins = [
    "conformance.plugin.options",  # the options, and the run's Config, Client and contact factory
    "conformance.plugin.probe",  # whether the target can be checked, and whether it keeps state
    "conformance.plugin.selection",  # which collected cases run
    "conformance.plugin.support",  # the fixtures the cases use
    "conformance.plugin.recording",  # each case's outcome
    "conformance.plugin.runner",  # the cases run side by side, reported by pytest in order
    "conformance.plugin.finish",  # cleanup, the report, the verdict and the exit code
]
