# Shared shell functions of scripts/run, scripts/test and bench/roster-import. Source it; do not run it.
#
# Everything started here is stopped by qx_cleanup, which the scripts install as an EXIT trap, so
# a failing step still stops the database and the services.

QX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
QX_VAR="${QX_VAR:-$QX_ROOT/var}"
QX_BUILD_DIR="${QX_BUILD_DIR:-$QX_ROOT/build}"
QX_PIDS=()

qx_log() { printf '[quxiang] %s\n' "$*" >&2; }

qx_die() { qx_log "error: $*"; exit 1; }

# Installs the Debian packages of scripts/packages.txt that are missing (needs root).
qx_install_packages() {
  local wanted missing=()
  wanted=$(grep -v '^#' "$QX_ROOT/scripts/packages.txt" | grep -v '^$')
  for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    qx_die "missing packages: ${missing[*]}; run as root or install them with apt-get"
  fi
  qx_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || qx_die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || qx_die "apt-get install failed"
}

# Installs Debian's kubernetes-client (kubectl 1.20, which renders deploy/ with its built-in
# kustomize) when no kubectl command exists. It is not in packages.txt because a machine may
# already have a newer kubectl from elsewhere, and installing the package over it would conflict.
qx_install_kubectl() {
  command -v kubectl >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ]; then
    qx_die "kubectl is missing; run as root or install the kubernetes-client package with apt-get"
  fi
  qx_log "installing kubernetes-client (kubectl)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || qx_die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null \
    || qx_die "apt-get install kubernetes-client failed"
}

# Configures and builds every target. QX_BUILD_TYPE picks Debug, RelWithDebInfo or Release.
qx_build() {
  local type="${QX_BUILD_TYPE:-RelWithDebInfo}"
  cmake -S "$QX_ROOT" -B "$QX_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$type" >/dev/null \
    || qx_die "cmake configure failed"
  ninja -C "$QX_BUILD_DIR" -j "${QX_JOBS:-$(nproc)}" || qx_die "build failed"
  qx_build_web
}

# Builds the web console into web/dist with Vite, unless web/dist/index.html is newer than every
# source file of the console (web/src, web/index.html, web/vite.config.js, web/package-lock.json).
# scripts/setup installs web/node_modules first.
qx_build_web() {
  local web="$QX_ROOT/web"
  [ -f "$web/package.json" ] || return 0
  if [ -f "$web/dist/index.html" ] && [ -z "$(find "$web/src" "$web/index.html" "$web/vite.config.js" \
      "$web/package-lock.json" -newer "$web/dist/index.html" -print -quit)" ]; then
    return 0
  fi
  qx_log "building the web console (web/dist)"
  (cd "$web" && npm run --silent build -- --logLevel=warn) || qx_die "building the web console failed"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on now.
qx_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts a private MariaDB on a free loopback port, with its data under $QX_VAR/mariadb, unless
# MYSQL_HOST is set, in which case the existing server is used. Exports MYSQL_HOST, MYSQL_PORT,
# MYSQL_USER and MYSQL_PASSWORD for the services and tests.
qx_db_start() {
  if [ -n "${MYSQL_HOST:-}" ]; then
    export MYSQL_PORT="${MYSQL_PORT:-3306}" MYSQL_USER="${MYSQL_USER:-root}" MYSQL_PASSWORD="${MYSQL_PASSWORD:-}"
    qx_log "using the existing MySQL server at $MYSQL_HOST:$MYSQL_PORT"
    return 0
  fi
  local dir="$QX_VAR/mariadb" port
  port=$(qx_free_port)
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; qx_die "mariadb-install-db failed"; }
  fi
  mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --bind-address=127.0.0.1 --port="$port" --user="$(id -un)" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size="${QX_DB_BUFFER_POOL:-256M}" \
    --innodb-flush-log-at-trx-commit="${QX_DB_FLUSH_AT_COMMIT:-2}" \
    --max-connections=500 --log-error="$dir/error.log" ${QX_DB_EXTRA_ARGS:-} &
  QX_PIDS+=($!)
  QX_DB_PID=$!
  for _ in $(seq 1 100); do
    if mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    kill -0 "$QX_DB_PID" 2>/dev/null || { tail -20 "$dir/error.log" >&2; qx_die "MariaDB exited at start"; }
    sleep 0.2
  done
  mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e \
    "CREATE USER IF NOT EXISTS 'quxiang'@'127.0.0.1' IDENTIFIED BY 'quxiang-dev';
     GRANT ALL PRIVILEGES ON *.* TO 'quxiang'@'127.0.0.1';" || qx_die "creating the database user failed"
  export MYSQL_HOST=127.0.0.1 MYSQL_PORT="$port" MYSQL_USER=quxiang MYSQL_PASSWORD=quxiang-dev
  export QX_DB_SOCKET="$dir/mysqld.sock"
  qx_log "MariaDB $(mariadbd --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir/data)"
}

# Creates the development token key pair under $QX_VAR/keys when missing and exports its paths.
qx_keys() {
  local dir="$QX_VAR/keys"
  mkdir -p "$dir"
  if [ ! -f "$dir/token-private.pem" ]; then
    openssl genpkey -algorithm ed25519 -out "$dir/token-private.pem" 2>/dev/null || qx_die "openssl genpkey failed"
    openssl pkey -in "$dir/token-private.pem" -pubout -out "$dir/token-public.pem" 2>/dev/null
    chmod 600 "$dir/token-private.pem"
  fi
  export TOKEN_PRIVATE_KEY_FILE="$dir/token-private.pem" TOKEN_PUBLIC_KEY_FILES="$dir/token-public.pem"

  # The secrets with which sync and signing get their SERVICE tokens from accounts, and the file
  # of secret digests (name:sha256hex) that accounts checks them against.
  local service
  : >"$dir/service-secrets.new"
  chmod 600 "$dir/service-secrets.new"
  for service in sync signing; do
    if [ ! -s "$dir/$service-secret" ]; then
      (umask 077 && openssl rand -hex 32 >"$dir/$service-secret") || qx_die "openssl rand failed"
    fi
    printf '%s:%s\n' "$service" "$(tr -d '\n' <"$dir/$service-secret" | sha256sum | cut -d' ' -f1)" \
      >>"$dir/service-secrets.new"
  done
  mv "$dir/service-secrets.new" "$dir/service-secrets"
  # The HMAC key under which accounts stores digests of graduates' ID numbers.
  if [ ! -s "$dir/graduate-identity-key" ]; then
    (umask 077 && openssl rand -hex 32 >"$dir/graduate-identity-key") || qx_die "openssl rand failed"
  fi
  # The HMAC key of the verification codes that signing prints on agreement PDFs. Its variable
  # is not AGREEMENT_KEY_FILE, which signing reads as its --agreement_key_file flag: exported
  # under that name, it would reach every signing process that the tests start.
  if [ ! -s "$dir/agreement-key" ]; then
    (umask 077 && openssl rand -hex 32 >"$dir/agreement-key") || qx_die "openssl rand failed"
  fi
  export SYNC_SECRET_FILE="$dir/sync-secret" SIGNING_SECRET_FILE="$dir/signing-secret" \
    SERVICE_SECRETS_FILE="$dir/service-secrets" \
    GRADUATE_IDENTITY_KEY_FILE="$dir/graduate-identity-key" \
    QX_AGREEMENT_KEY_FILE="$dir/agreement-key"
}

# Stops every process this script started, the database last.
qx_cleanup() {
  local pid
  for ((i=${#QX_PIDS[@]}-1; i>=0; i--)); do
    pid=${QX_PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${QX_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  QX_PIDS=()
}
