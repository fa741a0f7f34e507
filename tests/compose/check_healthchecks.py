"""Check the health checks, start order, metrics and secrets of docker-compose.yml.

Every service other than the database must have a health check that runs the image's
healthcheck probe: `--grpc=127.0.0.1:<port>` for the gRPC services and `--http=...` for the
gateway. A service whose environment names the database (MYSQL_HOST) must wait for it to be
healthy, and every service must wait for each compose service that its command names as an
address (the gateway's --backends, sync's --ems_address and --accounts_address), unless that
service waits for it in turn (sync's --signing_address, since signing waits for sync). Every process
serves /metrics on 0.0.0.0:9090, and every /run/secrets/<name> path in a command or in the
environment must be a secret that the service mounts and the file defines. The resolved file
comes from `docker-compose config` and is parsed with the YAML reader of
tests/deploy/check_manifests.py.
"""

import argparse
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "deploy"))
from check_manifests import YamlError, parse_yaml_documents  # noqa: E402


DATABASE = "mariadb"


def waits_for(service, name):
    depends = service.get("depends_on") or {}
    return isinstance(depends, dict) and (depends.get(name) or {}).get("condition") == "service_healthy"


def named_addresses(service, services):
    """The compose services that the command names as host:port or dns:///host:port."""
    text = " ".join(str(a) for a in service.get("command") or [])
    hosts = set(re.findall(r"(?:=|,|dns:///)([a-z][a-z0-9-]*):\d+", text))
    return sorted(h for h in hosts if h in services)


def secret_paths(service):
    """The /run/secrets/<name> paths in the service's command and environment values."""
    values = [str(a) for a in service.get("command") or []]
    values += [str(v) for v in (service.get("environment") or {}).values()]
    return sorted(set(re.findall(r"/run/secrets/([A-Za-z0-9_.-]+)", " ".join(values))))


def check(config):
    failures = []
    services = config.get("services", {})
    defined_secrets = config.get("secrets") or {}
    for name, service in sorted(services.items()):
        if name == DATABASE:
            continue
        test = (service.get("healthcheck") or {}).get("test") or []
        if len(test) < 3 or test[:2] != ["CMD", "healthcheck"]:
            failures.append(f"{name}: health check {test} does not run the healthcheck probe")
        elif name == "gateway" and not test[2].startswith("--http="):
            failures.append(f"gateway: health check {test} is not an HTTP check")
        elif name != "gateway" and not test[2].startswith("--grpc=127.0.0.1:"):
            failures.append(f"{name}: health check {test} is not a gRPC check")

        environment = service.get("environment") or {}
        if environment.get("MYSQL_HOST") == DATABASE and not waits_for(service, DATABASE):
            failures.append(f"{name}: does not wait for a healthy {DATABASE}")
        for host in named_addresses(service, services):
            # Of two services that call each other one must start first. The one that the other
            # waits for (sync, which signing calls) connects to it on first use instead.
            if host != name and waits_for(services[host], name):
                continue
            if host != name and not waits_for(service, host):
                failures.append(f"{name}: does not wait for a healthy {host}")

        if str(environment.get("METRICS_PORT")) != "9090" or environment.get("METRICS_ADDRESS") != "0.0.0.0":
            failures.append(f"{name}: does not serve /metrics on 0.0.0.0:9090")

        mounted = {(s.get("source") if isinstance(s, dict) else s) for s in service.get("secrets") or []}
        for secret in secret_paths(service):
            if secret not in mounted:
                failures.append(f"{name}: names /run/secrets/{secret} but does not mount that secret")
            elif secret not in defined_secrets:
                failures.append(f"{name}: mounts secret {secret}, which the file does not define")
    if "gateway" not in services:
        failures.append("no gateway service")
    return failures


def _without(config, service, key, item=None):
    """A copy of `config` in which `service` lacks `key`, or only `item` of the mapping or list at `key`."""
    broken = {"services": dict(config["services"]), "secrets": config.get("secrets") or {}}
    changed = dict(broken["services"][service])
    if item is None:
        changed.pop(key, None)
    elif isinstance(changed.get(key), dict):
        changed[key] = {k: v for k, v in changed[key].items() if k != item}
    else:
        changed[key] = [s for s in changed.get(key) or [] if (s.get("source") if isinstance(s, dict) else s) != item]
    broken["services"][service] = changed
    return broken


def self_test(config):
    """Return failures when a broken copy of `config` is not reported."""
    failures = []
    some_service = next(n for n in config["services"] if n not in (DATABASE, "gateway"))
    cases = [
        (_without(config, some_service, "healthcheck"), f"{some_service}: health check"),
    ]
    if "sync" in config["services"]:
        cases += [
            (_without(config, "sync", "depends_on", "ems-simulator"), "sync: does not wait for a healthy ems-simulator"),
            (_without(config, "sync", "secrets", "sync_secret"), "sync: names /run/secrets/sync_secret"),
            (_without(config, "sync", "environment", "METRICS_PORT"), "sync: does not serve /metrics"),
        ]
    for broken, expected in cases:
        if not any(expected in message for message in check(broken)):
            failures.append(f"self-test: expected a failure containing {expected!r}, got {check(broken)}")
    return failures, len(cases)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docker-compose", default="docker-compose")
    parser.add_argument("--compose-file", required=True)
    args = parser.parse_args()

    result = subprocess.run([args.docker_compose, "-f", args.compose_file, "config"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"FAILED docker-compose config ({result.returncode}): {result.stderr}")
        print("0 passed, 1 failed")
        return 1
    try:
        config = parse_yaml_documents(result.stdout)[0]
    except YamlError as error:
        print(f"FAILED parsing the output of docker-compose config: {error}")
        print("0 passed, 1 failed")
        return 1

    failures = check(config)
    # The checks must be able to fail: broken copies of the file are reported.
    self_failures, self_checks = self_test(config)
    failures += self_failures

    for failure in failures:
        print(f"FAILED {failure}")
    checks = len(config.get("services", {})) + self_checks
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
