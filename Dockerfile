# Images of the Quxiang services, built from this repository on Debian 12.
#
#   docker build -t quxiang:dev .            (docker-compose.yml does this for you)
#   docker run --rm quxiang:dev accounts --help
#
# One image holds every service binary; the container's command names the service to run
# (accounts, gateway, ...), as docker-compose.yml does.

# ---- builder: the build dependencies of scripts/packages.txt, a Release build ----
FROM debian:bookworm AS builder
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/packages.txt /tmp/packages.txt
# The database server, the compose client, ccache, prometheus (for promtool in the tests) and
# the tools the tests read PDFs and drive the console with are for development machines, not
# for building an image. npm builds the console; Debian's nodejs ships without it.
RUN apt-get update \
 && grep -vE '^\s*(#|$)' /tmp/packages.txt \
    | grep -vxE 'mariadb-server|docker-compose|ccache|prometheus|chromium|poppler-utils|zbar-tools' \
    | xargs apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && ninja -C /build services/all healthcheck ems-simulator
# The console, from the locked dependencies of web/package-lock.json.
RUN cd web && npm ci --no-audit --no-fund && npm run build

# Collects every service binary (services/<name>/<name>), the health probe that
# docker-compose.yml runs in each container, the EMS simulator that docker-compose.yml runs in
# place of the national EMS (no Kubernetes manifest uses it), the web assets, and the Debian
# packages that own the shared libraries the binaries load, so that the runtime stage installs
# exactly those.
RUN mkdir -p /out/bin /out/web \
 && for dir in /build/services/*/; do \
      name=$(basename "$dir"); \
      if [ -x "$dir/$name" ]; then cp "$dir/$name" /out/bin/; fi; \
    done \
 && cp /build/tools/healthcheck/healthcheck /build/tools/ems-simulator/ems-simulator /out/bin/ \
 && cp -r web/dist/. /out/web/ \
 && for binary in /out/bin/*; do ldd "$binary"; done \
    | awk '/=> \// { print $3 }' | sort -u \
    | while read -r library; do \
        dpkg -S "$library" 2>/dev/null || dpkg -S "$(realpath "$library")"; \
      done \
    | cut -d: -f1 | sort -u >/out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

# ---- runtime: the binaries, their shared libraries, a non-root user ----
# signing renders agreement PDFs with Noto Sans CJK, which fontconfig finds at run time, so ldd
# does not name it.
FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=builder /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs apt-get install -y --no-install-recommends ca-certificates fonts-noto-cjk \
      </tmp/runtime-packages.txt \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin quxiang

COPY --from=builder /out/bin/ /usr/local/bin/
COPY --from=builder /out/web/ /usr/share/quxiang/web/

USER quxiang
EXPOSE 8080 50051
# Without a command the container lists the services it can run.
CMD ["ls", "/usr/local/bin"]
