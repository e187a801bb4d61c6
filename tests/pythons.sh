#!/bin/sh
# The Python 3.11-3.13 interpreters on this machine, one per version, newest first, as "VERSION PATH" lines:
# python3 and python3.1x on PATH, then pyenv's versions (a pyenv shim that cannot run is skipped).
# `pythons.sh --best` prints only the one .venv uses: python3 when it is 3.11 or newer, else the newest found.
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
version_and_path='import sys; print("%d.%d" % sys.version_info[:2], sys.executable)'

if [ "${1:-}" = "--best" ]; then
    found=$(python3 -c "$version_and_path" 2>/dev/null)
    case $found in
        3.1[1-9]\ *|3.[2-9][0-9]\ *) echo "${found#* }"; exit 0 ;;
    esac
    sh "$0" | head -n 1 | cut -d' ' -f2
    exit 0
fi

for candidate in python3 python3.13 python3.12 python3.11 "$pyenv_root"/versions/3.1[123]*/bin/python3; do
    "$candidate" -c "$version_and_path" 2>/dev/null
done | grep -E '^3\.1[123] ' | sort -t' ' -k1,1 -r -u
