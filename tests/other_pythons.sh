#!/bin/sh
# `conformance run --profile quick`, installed from a freshly built wheel into a new venv, on every supported Python
# of this machine (tests/pythons.sh) other than the version of the given one; fails when any run fails.
# Usage: tests/other_pythons.sh PYTHON   (the interpreter of .venv, which builds the wheel)
set -eu
own=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$1" -m pip wheel --quiet --no-deps --disable-pip-version-check -w "$work/dist" . >"$work/wheel.log" 2>&1 ||
    { cat "$work/wheel.log"; echo "other Pythons: building the wheel failed"; exit 1; }
others=$(sh tests/pythons.sh | grep -v "^$own ") || true
failed=""
ran=""
while read -r version python; do
    [ -n "$version" ] || continue
    venv="$work/venv-$version"
    log="$work/$version.log"
    if "$python" -m venv "$venv" >"$log" 2>&1 &&
        "$venv/bin/python" -m pip install --quiet --no-compile "$work"/dist/*.whl >>"$log" 2>&1 &&
        (cd "$work" && "$venv/bin/conformance" run --profile quick --report-dir "reports-$version") >>"$log" 2>&1
    then
        echo "other Pythons: Python $version ($python): conformance run --profile quick passed"
    else
        cat "$log"
        echo "other Pythons: Python $version ($python): FAILED (log above)"
        failed="$failed $version"
    fi
    ran="$ran $version"
done <<EOF2
$others
EOF2
echo "other Pythons: ran on${ran:- none (no other Python 3.11-3.13 found)}; .venv's Python $own runs the test suite"
[ -z "$failed" ] || { echo "other Pythons: FAILED on$failed"; exit 1; }
