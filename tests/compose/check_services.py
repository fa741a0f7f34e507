"""Check that docker-compose.yml defines every service of a list.

Each name other than mariadb must also be a folder under services/, because the compose
service runs the binary of that name from the image.
"""

import argparse
import pathlib
import subprocess
import sys


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docker-compose", default="docker-compose", help="docker-compose executable")
    parser.add_argument("--compose-file", required=True, help="path of docker-compose.yml")
    parser.add_argument("--source-dir", required=True, help="repository root")
    parser.add_argument("services", nargs="+", help="service names that must be defined")
    args = parser.parse_args()

    defined = compose_services(args.docker_compose, args.compose_file)
    checks = 0
    failures = []
    for name in args.services:
        checks += 1
        if name not in defined:
            failures.append(f"{name}: missing from {args.compose_file}")
        if name == "mariadb":
            continue

        checks += 1
        if not (pathlib.Path(args.source_dir) / "services" / name).is_dir():
            failures.append(f"{name}: services/{name}/ does not exist, so the image has no such binary")

    for failure in failures:
        print(f"FAILED {failure}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
