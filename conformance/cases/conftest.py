"""Loads the checker's pytest plugin (conformance/plugin/) for `pytest conformance/cases --base-url …` and for
`conformance run`."""
pytest_plugins = ["conformance.plugin"]
