# Shared set-up steps for bin/serve and bin/test: Odoo source, PostgreSQL,
# system packages and the virtualenv. Every step is idempotent.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
VENV="${VENV:-$PROJECT_DIR/.venv}"
PY="${PYTHON:-python3}"

log() { printf '[collections_officer] %s\n' "$*" >&2; }
die() { printf '[collections_officer] error: %s\n' "$*" >&2; exit 1; }

require_odoo() {
    [ -f "$ODOO_SRC/odoo-bin" ] && [ -d "$ODOO_SRC/odoo/addons/base" ] && [ -d "$ODOO_SRC/addons/account" ] \
        || die "Odoo 19.0 community not found at ODOO_SRC=$ODOO_SRC (expected odoo-bin, odoo/ and addons/ there). Get its source: git clone --depth 1 --branch 19.0 https://github.com/odoo/odoo.git $ODOO_SRC (or set ODOO_SRC to the folder that holds it)."
    grep -q "version_info = (19, 0" "$ODOO_SRC/odoo/release.py" \
        || die "ODOO_SRC=$ODOO_SRC is not Odoo 19.0."
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_system_packages() {
    local missing=()
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
    command -v chromium >/dev/null || missing+=(chromium)
    # Split the statements printed together into one PDF per customer, fast.
    command -v pdfseparate >/dev/null || missing+=(poppler-utils)
    command -v qpdf >/dev/null || missing+=(qpdf)
    [ -e /usr/include/lber.h ] || missing+=(libldap2-dev libsasl2-dev)
    dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
    # LightGBM's wheel links OpenMP's runtime.
    dpkg -s libgomp1 >/dev/null 2>&1 || missing+=(libgomp1)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_postgres() {
    if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
        local cluster
        cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
        [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)."
        log "starting PostgreSQL $cluster"
        # shellcheck disable=SC2086
        as_root pg_ctlcluster $cluster start
    fi
    local me
    me=$(id -un)
    if ! psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
        log "creating PostgreSQL superuser role $me"
        as_root su postgres -c "psql -qc \"CREATE ROLE \\\"$me\\\" SUPERUSER LOGIN\""
    fi
}

# Odoo pins some packages that do not build on Python 3.11 (cbor2 5.4.2) or
# need a compiler and client headers (psycopg2): swap them for releases with
# wheels. Everything else keeps Odoo's pin.
odoo_requirements() {
    sed -E \
        -e 's/^cbor2==5\.4\.2.*$/cbor2==5.6.5 ; python_version < "3.12"/' \
        -e 's/^psycopg2==([0-9.]+)/psycopg2-binary==2.9.10/' \
        "$ODOO_SRC/requirements.txt"
}

ensure_venv() {
    local stamp="$VENV/.requirements.sha"
    local want
    want=$( (odoo_requirements; cat "$PROJECT_DIR/requirements-dev.txt" "$PROJECT_DIR/setup.py") | sha1sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    log "building virtualenv $VENV (Odoo's requirements and the project's)"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade "pip<26" "setuptools<81" wheel
    odoo_requirements > "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q -r "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q -r "$PROJECT_DIR/requirements-dev.txt"
    # Odoo itself is found through ODOO_SRC on the path, not installed.
    "$VENV/bin/python" - "$ODOO_SRC" <<'PYEOF'
import pathlib, site, sys
pathlib.Path(site.getsitepackages()[0], "odoo_src.pth").write_text(sys.argv[1] + "\n")
PYEOF
    echo "$want" > "$stamp"
}

# OCA's queue_job, for the collections_officer_queue bridge. Its wheel requires
# odoo==19.0.*, which is not on PyPI (Odoo comes from ODOO_SRC), so the wheel is
# fetched without resolving its requirements and its add-on folder unpacked into
# a folder of the addons path. openupgradelib is one of its declared external
# dependencies: Odoo refuses to install the add-on without it.
QUEUE_JOB_VERSION=19.0.2.4.0.1
QUEUE_JOB_ADDONS="$VENV/queue_job-$QUEUE_JOB_VERSION"

ensure_queue_job() {
    [ -f "$QUEUE_JOB_ADDONS/queue_job/__manifest__.py" ] && return
    log "installing OCA queue_job $QUEUE_JOB_VERSION"
    "$VENV/bin/python" -c "import openupgradelib" 2>/dev/null \
        || "$VENV/bin/pip" install -q openupgradelib
    local tmp
    tmp=$(mktemp -d)
    "$VENV/bin/pip" download -q --no-deps -d "$tmp" "odoo-addon-queue_job==$QUEUE_JOB_VERSION"
    "$VENV/bin/python" -m zipfile -e "$tmp"/odoo_addon_queue_job-*.whl "$tmp/unpacked"
    mkdir -p "$tmp/addons"
    mv "$tmp/unpacked/odoo/addons/queue_job" "$tmp/addons/"
    # Moved into place whole, so an interrupted install is never taken for a done one.
    rm -rf "$QUEUE_JOB_ADDONS"
    mv "$tmp/addons" "$QUEUE_JOB_ADDONS"
    rm -rf "$tmp"
}

addons_path() {
    local path="$ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$PROJECT_DIR"
    if [ -d "$QUEUE_JOB_ADDONS" ]; then
        path="$path,$QUEUE_JOB_ADDONS"
    fi
    echo "$path"
}

setup_all() {
    require_odoo
    ensure_system_packages
    ensure_postgres
    ensure_venv
    ensure_queue_job
}

odoo_bin() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" "$@"; }

db_exists() { [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }

module_installed() {
    db_exists "$1" && [ "$(psql -d "$1" -tAc "SELECT state FROM ir_module_module WHERE name = 'collections_officer'" 2>/dev/null)" = installed ]
}

# Runs an Odoo install/update and fails on any error, or on a warning about the add-on.
odoo_init() {
    local db=$1; shift
    local logfile
    logfile=$(mktemp)
    if ! odoo_bin -d "$db" --addons-path="$(addons_path)" --db-filter="^$db\$" --stop-after-init \
        --http-interface=127.0.0.1 --log-level=warn "$@" >"$logfile" 2>&1; then
        cat "$logfile" >&2
        die "Odoo failed on database $db ($*)."
    fi
    if grep -E " (ERROR|CRITICAL) |collections_officer.*WARNING|WARNING.*collections_officer" "$logfile" >&2; then
        die "Odoo reported the problems above on database $db ($*)."
    fi
    rm -f "$logfile"
}
