"""Check the health checks and start order of docker-compose.yml.

Every service other than the database must have a health check that runs the image's
healthcheck probe: `--grpc=127.0.0.1:<port>` for the gRPC services and `--http=...` for the
gateway. The gRPC services must wait for a healthy database, and the gateway for every gRPC
service it names in --backends. The resolved file comes from `docker-compose config` and is
parsed with the YAML reader of tests/deploy/check_manifests.py.
"""

import argparse
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "deploy"))
from check_manifests import YamlError, parse_yaml_documents  # noqa: E402


def check(config):
    failures = []
    services = config.get("services", {})
    database = "mariadb"
    for name, service in sorted(services.items()):
        if name == database:
            continue
        test = (service.get("healthcheck") or {}).get("test") or []
        if len(test) < 3 or test[:2] != ["CMD", "healthcheck"]:
            failures.append(f"{name}: health check {test} does not run the healthcheck probe")
            continue
        depends = service.get("depends_on") or {}
        if name == "gateway":
            if not test[2].startswith("--http="):
                failures.append(f"gateway: health check {test} is not an HTTP check")
            backends = " ".join(a for a in service.get("command", []) if str(a).startswith("--backends="))
            for host in sorted(set(re.findall(r"=(?:dns:///)?([a-z][a-z0-9-]*):\d+", backends))):
                condition = (depends.get(host) or {}).get("condition") if isinstance(depends, dict) else None
                if condition != "service_healthy":
                    failures.append(f"gateway: does not wait for a healthy {host}")
        else:
            if not test[2].startswith("--grpc=127.0.0.1:"):
                failures.append(f"{name}: health check {test} is not a gRPC check")
            condition = (depends.get(database) or {}).get("condition") if isinstance(depends, dict) else None
            if condition != "service_healthy":
                failures.append(f"{name}: does not wait for a healthy {database}")
    if "gateway" not in services:
        failures.append("no gateway service")
    return failures


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
    # The check must be able to fail: a gRPC service without a health check is reported.
    broken = {"services": dict(config["services"])}
    some_service = next(n for n in broken["services"] if n not in ("mariadb", "gateway"))
    broken["services"][some_service] = {k: v for k, v in broken["services"][some_service].items() if k != "healthcheck"}
    if not any(some_service in message for message in check(broken)):
        failures.append(f"self-test: removing the health check of {some_service} went unnoticed")

    for failure in failures:
        print(f"FAILED {failure}")
    checks = len(config.get("services", {})) + 1
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
