"""Check that docs/operations.md lists every setting of every binary, as the binary has it.

Each binary is run with --helpfull. Every flag defined in the project's sources (a path under
libs/, services/ or tools/) must have a row in docs/operations.md under a section heading that
names the flag's source file in backticks. The row gives the flag, its environment variable
(the flag name in upper case) and its default exactly as --helpfull prints it.
Binaries that are not built are skipped with a message.
"""

import argparse
import pathlib
import re
import subprocess
import sys

SOURCE_BLOCK = re.compile(r"^  Flags from (?:.*?/)?((?:libs|services|tools)/\S+):$")
FLAG_START = re.compile(r"^    --(\w+) \(")
# --helpfull adds "currently: <value>" after the default when a flag is set, for example from
# the environment; only the default counts.
DEFAULT = re.compile(r"default: (.*?);(?: currently: .*)?$")


def flags_of(binary):
    """Return {source file: {flag: default}} from `binary --helpfull`."""
    result = subprocess.run([binary, "--helpfull"], capture_output=True, text=True, check=False)
    text = result.stdout + result.stderr
    flags = {}
    source = None
    current = None
    for line in text.splitlines():
        block = SOURCE_BLOCK.match(line)
        if block:
            source = block.group(1)
            flags.setdefault(source, {})
            continue
        if line.startswith("  Flags from "):
            source = None
            continue
        if source is None:
            continue
        start = FLAG_START.match(line)
        if start:
            current = start.group(1)
        default = DEFAULT.search(line)
        if current and default:
            flags[source][current] = default.group(1)
            current = None
    return flags


def documented_rows(markdown):
    """Return {source file named in a heading: {flag: (environment variable, default)}}."""
    rows = {}
    sources = []
    for line in markdown.splitlines():
        if line.startswith("#"):
            sources = re.findall(r"`((?:libs|services|tools)/[^`]+)`", line)
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 3 and cells[0].startswith("`--"):
            flag = cells[0].strip("`")[2:]
            for source in sources:
                rows.setdefault(source, {})[flag] = (cells[1].strip("`"), cells[2].strip("`"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doc", required=True, help="path of docs/operations.md")
    parser.add_argument("binaries", nargs="+", help="binaries to ask for their flags")
    args = parser.parse_args()

    rows = documented_rows(pathlib.Path(args.doc).read_text(encoding="utf-8"))
    checks = 0
    failures = []
    for binary in args.binaries:
        if not pathlib.Path(binary).exists():
            print(f"skipped {binary}: not built")
            continue
        flags = flags_of(binary)
        checks += 1
        if not flags:
            failures.append(f"{binary} --helpfull listed no project flags")
        for source, defaults in sorted(flags.items()):
            for flag, default in sorted(defaults.items()):
                checks += 1
                row = rows.get(source, {}).get(flag)
                if row is None:
                    failures.append(f"--{flag} of {source} has no row in {args.doc} under a heading that "
                                    f"names `{source}`: add one with its environment variable and default")
                    continue
                if row[0] != flag.upper():
                    failures.append(f"--{flag} of {source}: environment variable {row[0]!r}, expected {flag.upper()!r}")
                if row[1] != default:
                    failures.append(f"--{flag} of {source}: default {row[1]!r}, --helpfull prints {default!r}")

    for failure in failures:
        print(f"FAILED {failure}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
