# Sourced by .ci/clients and .ci/bi; needs $python.
# venv NAME [REQUIREMENTS]: a venv with REQUIREMENTS (default tests/clients/NAME.txt) installed,
# cached as ~/.cache/kindred-ci-venv-NAME-<key of the file, the Python and, for the unpinned
# "newest", the month>; its path on stdout. Built in a
# temporary folder and renamed into place, so a failed pip leaves no half-made cache behind.
venv() {
    local req="${2:-tests/clients/$1.txt}" key
    key=$({ cat "$req"; "$python" --version; [ "$1" = newest ] && date +%Y-%m; } | sha256sum | cut -c1-12)
    local dir="$HOME/.cache/kindred-ci-venv-$1-$key"
    if [ ! -x "$dir/bin/python" ]; then
        local tmp="$dir.tmp.$$"
        rm -rf "$tmp"
        "$python" -m venv "$tmp" >&2
        "$tmp/bin/pip" install --quiet --disable-pip-version-check --retries 3 --timeout 60 \
            --only-binary=:all: -r "$req" >&2
        rm -rf "$dir" && mv "$tmp" "$dir"
        # venvs of older requirement lists or months: only the newest of each name is kept
        find "$HOME/.cache" -maxdepth 1 -name "kindred-ci-venv-$1-*" ! -name "kindred-ci-venv-$1-$key" \
            -exec rm -rf {} + 2>/dev/null || true
    fi
    echo "$dir"
}
