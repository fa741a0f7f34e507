"""Check that docker-compose.yml defines a service for every process of the suite.

The required names are the ones given on the command line, every name in the services array of
scripts/run, every folder under services/ with a main.cc (each builds a binary of its name) and
the EMS simulator (tools/ems-simulator). Each compose service other than mariadb must also
run a binary that the image holds: a folder under services/ or tools/ of that name. Before the
real file, the check runs on a list with one process left out and must report it.
"""

import argparse
import pathlib
import re
import subprocess
import sys

DATABASE = "mariadb"
# Binaries under tools/ that run as a process of the suite; the other tools (healthcheck, the
# demo loader) run inside containers or once.
TOOL_PROCESSES = ("ems-simulator",)


def compose_services(docker_compose: str, compose_file: str) -> set:
    """Return the service names of `compose_file` as docker-compose resolves them."""
    result = subprocess.run(
        [docker_compose, "-f", compose_file, "config", "--services"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"docker-compose config --services failed ({result.returncode}):\n{result.stderr}")
    return set(result.stdout.split())


def run_script_services(script: pathlib.Path) -> list:
    """The first field of each line of the `services=( ... )` array in scripts/run."""
    text = script.read_text(encoding="utf-8")
    match = re.search(r"^services=\(\n(.*?)^\)", text, re.MULTILINE | re.DOTALL)
    if not match:
        sys.exit(f"{script}: no services=( ... ) array found")
    names = []
    for line in match.group(1).splitlines():
        line = line.strip()
        if line.startswith('"'):
            names.append(line.strip('"').split("|")[0].strip())
    if not names:
        sys.exit(f"{script}: the services array is empty")
    return names


def built_processes(source_dir: pathlib.Path) -> list:
    """Every service folder with a main.cc, and the tools that run as processes."""
    names = [f.name for f in sorted((source_dir / "services").iterdir()) if (f / "main.cc").is_file()]
    names += [name for name in TOOL_PROCESSES if (source_dir / "tools" / name / "main.cc").is_file()]
    return names


def check(required: list, defined: set, source_dir: pathlib.Path, compose_file: str):
    """Return (number of checks, failures)."""
    checks = 0
    failures = []
    for name in required:
        checks += 1
        if name not in defined:
            failures.append(f"{name}: missing from {compose_file}")
    for name in sorted(defined - {DATABASE}):
        checks += 1
        if not ((source_dir / "services" / name).is_dir() or (source_dir / "tools" / name).is_dir()):
            failures.append(f"{name}: neither services/{name}/ nor tools/{name}/ exists, so the image has no such binary")
    return checks, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docker-compose", default="docker-compose", help="docker-compose executable")
    parser.add_argument("--compose-file", required=True, help="path of docker-compose.yml")
    parser.add_argument("--source-dir", required=True, help="repository root")
    parser.add_argument("services", nargs="*", help="more service names that must be defined")
    args = parser.parse_args()

    source_dir = pathlib.Path(args.source_dir)
    required = list(dict.fromkeys(
        [DATABASE] + args.services + run_script_services(source_dir / "scripts" / "run") + built_processes(source_dir)))
    defined = compose_services(args.docker_compose, args.compose_file)
    checks, failures = check(required, defined, source_dir, args.compose_file)

    # The check must be able to fail: the file without one of the processes is reported.
    left_out = "sync" if "sync" in defined else sorted(defined - {DATABASE})[0]
    _, self_failures = check(required, defined - {left_out}, source_dir, args.compose_file)
    checks += 1
    if not any(message.startswith(f"{left_out}: missing") for message in self_failures):
        failures.append(f"self-test: a file without {left_out} went unnoticed")

    for failure in failures:
        print(f"FAILED {failure}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
