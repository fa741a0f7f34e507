#!/usr/bin/env python3
"""Load the demo school's graduate roster through the EMS simulator and activate demo graduates.

    python3 tools/demo/load_roster.py --base-url=http://127.0.0.1:8080 --cache-dir=var/demo

Run it after load_demo.py, which creates the school and its school_admin account. The roster
arrives the way a school's file does: the loader uploads one XLSX file to the EMS simulator
(POST /v1/ems-simulator/rosters:upload), the sync service pulls the roster changes from the
simulator and creates a login in accounts for every graduate. The loader waits until sync lists
every graduate of the class, then activates the logins of three demo graduates with the demo
password, using their name and full ID number from the file, as a graduate does.

By default the file is tools/demo/generate_roster.py's demo roster (6,338 graduates of class
2022), generated once and kept in --cache-dir, so the same --seed uploads the same file every
run. --class-year=current --count=300 generates a roster of the current graduating class
instead, the latest class that may still sign (class 2022 closed on 2023-01-31); its seed
defaults to the class year, so its people differ from those of class 2022. The generator's
student numbers start with the year of enrolment and a digit per level of study, so they differ
between classes too. --roster-file uploads another file instead.

Running it again changes nothing: an unchanged file appends no roster change in the EMS, and a
login that is activated already is checked by signing in. Row errors of the upload make it fail
with the rows listed. Prints a JSON summary on stdout (scripts/run turns it into a table) and its
progress on stderr. Uses only the Python standard library.
"""

import argparse
import base64
import csv
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
import zipfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from load_demo import DEMO_PASSWORD, SCHOOL, ApiError, Session, current_class_year  # noqa: E402  (after the path change on purpose)

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATOR = REPO_ROOT / "tools" / "demo" / "generate_roster.py"

CLASS_YEAR = 2022
# generate_roster.py's default seed, so that the cached file equals the generator's default output.
DEFAULT_SEED = 2022

# The demo graduates come from these departments, the first two of which have demo department
# accounts. When a department has no eligible graduate, the first eligible rows of the file fill
# the gap.
DEMO_DEPARTMENTS = ["文学院", "计算机学院", "经济学院"]
DEMO_GRADUATE_COUNT = 3
# 定向 and 委培 graduates may not sign online, so a demo of the signing flow would stop early.
NOT_ONLINE_SIGNING_TRAINING_MODES = {"21", "41"}

GRADUATE_ROLE = "graduate (毕业生)"
# Rows of an upload's row errors that the error message lists; the rest are counted.
LISTED_ROW_ERRORS = 10

SPREADSHEET_NAMESPACE = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS_NAMESPACE = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELATIONSHIPS_NAMESPACE = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def log(message):
    print(f"[roster] {message}", file=sys.stderr, flush=True)


def cached_roster(cache_dir, class_year, seed, count=None):
    """Return the path of the demo roster of the class, generating it when the cache lacks it.

    `count` None means the generator's default of 6,338 graduates.
    """
    size = "" if count is None else f"-{count}"
    path = pathlib.Path(cache_dir) / f"roster-{SCHOOL['code']}-{class_year}{size}-seed{seed}.xlsx"
    if path.is_file():
        log(f"using the cached roster {path}")
        return path

    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed, so an interrupted run leaves no partial file
    # that a later run would take for the cached roster.
    descriptor, partial = tempfile.mkstemp(prefix=path.name + ".", suffix=".partial", dir=path.parent)
    os.close(descriptor)
    command = [
        sys.executable,
        str(GENERATOR),
        "--format=xlsx",
        f"--class-year={class_year}",
        f"--school-code={SCHOOL['code']}",
        f"--school-name={SCHOOL['name']}",
        f"--seed={seed}",
        f"--output={partial}",
    ]
    if count is not None:
        command.append(f"--count={count}")
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"generate_roster.py failed with exit status {result.returncode}: {result.stderr.strip()}")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    log(f"generated the demo roster {path}")
    return path


def column_index(cell_reference):
    """Return the 0-based column of a cell reference such as "AG12"."""
    index = 0
    for character in cell_reference:
        if not character.isalpha():
            break
        index = index * 26 + ord(character.upper()) - ord("A") + 1
    return index - 1


def first_worksheet_path(archive):
    """Return the archive path of the workbook's first sheet."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{SPREADSHEET_NAMESPACE}sheets/{SPREADSHEET_NAMESPACE}sheet")
    if sheet is None:
        raise ValueError("the workbook has no sheet")
    relationship_id = sheet.get(f"{RELATIONSHIPS_NAMESPACE}id")
    relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for relationship in relationships.iter(f"{PACKAGE_RELATIONSHIPS_NAMESPACE}Relationship"):
        if relationship.get("Id") == relationship_id:
            target = relationship.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise ValueError(f"the workbook names sheet relationship {relationship_id}, which does not exist")


def read_xlsx_rows(content):
    """Return the rows of the first sheet of an XLSX file as lists of cell texts."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        shared_strings = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            for item in root.iter(f"{SPREADSHEET_NAMESPACE}si"):
                shared_strings.append("".join(text.text or "" for text in item.iter(f"{SPREADSHEET_NAMESPACE}t")))
        sheet = ElementTree.fromstring(archive.read(first_worksheet_path(archive)))

    rows = []
    for row in sheet.iter(f"{SPREADSHEET_NAMESPACE}row"):
        cells = {}
        for position, cell in enumerate(row.iter(f"{SPREADSHEET_NAMESPACE}c")):
            reference = cell.get("r")
            column = column_index(reference) if reference else position
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                value = "".join(text.text or "" for text in cell.iter(f"{SPREADSHEET_NAMESPACE}t"))
            else:
                value_element = cell.find(f"{SPREADSHEET_NAMESPACE}v")
                value = (value_element.text or "") if value_element is not None else ""
                if kind == "s" and value:
                    value = shared_strings[int(value)]
            cells[column] = value
        rows.append([cells.get(column, "") for column in range(max(cells, default=-1) + 1)])
    return rows


def read_csv_rows(content):
    """Return the rows of a CSV file in UTF-8 (with or without a byte order mark) or GB18030."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")
    return list(csv.reader(io.StringIO(text, newline="")))


def read_roster_records(content):
    """Return the roster's rows as dicts keyed by the header row's column names."""
    rows = read_xlsx_rows(content) if content.startswith(b"PK\x03\x04") else read_csv_rows(content)
    if not rows:
        raise ValueError("the roster file has no header row")
    headers = [header.strip() for header in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:] if any(cell.strip() for cell in row)]


def is_basic_multilingual(text):
    """Return True when every character of `text` is in the Basic Multilingual Plane."""
    return all(ord(character) <= 0xFFFF for character in text)


def choose_demo_graduates(records):
    """Return DEMO_GRADUATE_COUNT graduates who may sign online, preferring DEMO_DEPARTMENTS.

    Names with characters outside the Basic Multilingual Plane are skipped, because a terminal
    font may lack them and the printed table would then show a name nobody can type.
    """
    eligible = [
        record
        for record in records
        if record.get("学号") and record.get("身份证号") and record.get("姓名")
        and record.get("培养方式代码") not in NOT_ONLINE_SIGNING_TRAINING_MODES
        and is_basic_multilingual(record["姓名"])
    ]
    chosen = []
    for department in DEMO_DEPARTMENTS:
        match = next((record for record in eligible if record.get("所在院系") == department), None)
        if match is not None:
            chosen.append(match)
    for record in eligible:
        if len(chosen) == DEMO_GRADUATE_COUNT:
            break
        if record not in chosen:
            chosen.append(record)
    if len(chosen) < DEMO_GRADUATE_COUNT:
        raise RuntimeError(
            f"the roster has {len(chosen)} graduates who may sign online, fewer than the {DEMO_GRADUATE_COUNT} demo graduates"
        )
    return chosen[:DEMO_GRADUATE_COUNT]


def describe_row_errors(row_errors):
    """Return the row errors of an upload as lines, the first LISTED_ROW_ERRORS of them."""
    lines = [
        f"  row {error.get('row', 0)}, {error.get('column', '')} {error.get('value', '')!r}: "
        f"{error.get('reason', '')} {error.get('message', '')}"
        for error in row_errors[:LISTED_ROW_ERRORS]
    ]
    if len(row_errors) > LISTED_ROW_ERRORS:
        lines.append(f"  and {len(row_errors) - LISTED_ROW_ERRORS} more")
    return "\n".join(lines)


def upload_roster(base_url, path, content, class_year):
    """Upload the roster file to the EMS simulator and return its UploadRosterResponse.

    Raises RuntimeError when the simulator rejects the file or reports row errors. The call
    carries no Quxiang login, because the upload stands for a school working in the EMS.
    """
    # Parsing and validating thousands of rows takes seconds, so the upload gets more time than
    # the other calls.
    ems = Session(base_url, timeout_seconds=120)
    body = {
        "schoolCode": SCHOOL["code"],
        "classYear": class_year,
        "fileName": path.name,
        "content": base64.b64encode(content).decode("ascii"),
    }
    try:
        response = ems.request("POST", "/v1/ems-simulator/rosters:upload", body)
    except ApiError as error:
        hint = ""
        if error.status == 413:
            hint = (
                f"; the request is {len(body['content'])} bytes of base64, so start the gateway with a larger "
                "--max_body_bytes (scripts/run sets 4 MiB)"
            )
        elif error.status == 404:
            hint = "; is ems-simulator running and named in the gateway's --backends?"
        raise RuntimeError(f"uploading the roster file {path} to the EMS simulator failed: {error}{hint}") from error

    rows_read = response.get("rowsRead", 0)
    row_errors = response.get("rowErrors", [])
    log(
        f"uploaded {path.name}: {rows_read} rows read, {response.get('inserted', 0)} inserted, "
        f"{response.get('updated', 0)} updated, {response.get('unchanged', 0)} unchanged, "
        f"{response.get('restored', 0)} restored, {len(row_errors)} row errors"
    )
    if row_errors:
        raise RuntimeError(
            f"the EMS simulator rejected {len(row_errors)} rows of {path} and stored the other rows; "
            f"fix these rows and upload the file again:\n{describe_row_errors(row_errors)}"
        )
    if rows_read == 0:
        raise RuntimeError(f"the roster file {path} has no graduate rows")
    return response


def count_graduates(school_admin, school_id, class_year):
    """Return the number of graduates that sync lists in the active roster of the class."""
    query = urllib.parse.urlencode({"pageSize": 1})
    response = school_admin.request("GET", f"/v1/schools/{school_id}/classes/{class_year}/graduates?{query}")
    return response.get("totalSize", 0)


def find_graduate_login(school_admin, school_id, username):
    """Return the graduate user `username` of the school, or None while accounts lacks it."""
    query = urllib.parse.urlencode({"kind": "PRINCIPAL_KIND_GRADUATE", "query": username, "pageSize": 10})
    response = school_admin.request("GET", f"/v1/schools/{school_id}/users?{query}")
    for user in response.get("users", []):
        if user.get("username") == username:
            return user
    return None


def wait_for_roster(school_admin, school_id, class_year, expected, deadline, timeout_seconds):
    """Wait until sync lists `expected` graduates of the class and return the number listed."""
    last_logged = 0.0
    while True:
        listed = count_graduates(school_admin, school_id, class_year)
        if listed >= expected:
            if listed > expected:
                # The EMS simulator keeps its roster in memory, so graduates of an earlier,
                # different file stay in sync's database but not in this upload.
                log(f"NOTE: sync lists {listed} graduates of class {class_year}, more than the {expected} of the file")
            log(f"sync lists {listed} graduates of class {class_year}")
            return listed
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"timed out after {timeout_seconds:g} s: sync lists {listed} of the {expected} graduates of class "
                f"{class_year}; check that sync runs and can reach the EMS simulator and accounts "
                "(scripts/run writes its log to var/log/sync.log), or raise --timeout"
            )
        if time.monotonic() - last_logged >= 5:
            log(f"waiting for sync: {listed} of {expected} graduates listed")
            last_logged = time.monotonic()
        time.sleep(0.5)


def wait_for_login(school_admin, school_id, username, deadline, timeout_seconds):
    """Wait until accounts has the graduate login `username` that sync delivers."""
    while find_graduate_login(school_admin, school_id, username) is None:
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"timed out after {timeout_seconds:g} s: accounts has no login {username} although sync lists the "
                "graduate; check sync's log for failed deliveries to accounts, or raise --timeout"
            )
        time.sleep(0.5)


def activate_graduate(base_url, username, record):
    """Activate the login with the demo password, or sign in when it is activated already.

    Returns True when signing in with the demo password works afterwards.
    """
    body = {
        "username": username,
        "name": record["姓名"],
        "idNumber": record["身份证号"],
        "newPassword": DEMO_PASSWORD,
    }
    try:
        Session(base_url).request("POST", "/v1/graduateAccounts:activate", body)
        log(f"{username} activated")
    except ApiError as error:
        if error.reason != "ACCOUNT_ALREADY_ACTIVATED":
            raise RuntimeError(f"activating the graduate login {username} failed: {error}") from error
        log(f"{username} is activated already; signing in to check the demo password")

    try:
        Session(base_url).login(username, DEMO_PASSWORD)
        return True
    except ApiError as error:
        # Someone changed the password in the console. The rest of the demo still works.
        log(f"WARNING: {username} cannot sign in with the demo password: {error}")
        return False


def parse_class_year(text):
    """Return the class year that --class-year names: a year, or 'current' for current_class_year()."""
    if text == "current":
        return current_class_year()
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year such as 2026 or 'current', got {text!r}") from None


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Upload the demo roster through the EMS simulator and activate demo graduate logins."
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="gateway address, http://host:port")
    parser.add_argument(
        "--cache-dir",
        default=str(REPO_ROOT / "var" / "demo"),
        help="folder that keeps the generated demo roster between runs",
    )
    parser.add_argument(
        "--seed", type=int, help="seed of the generated demo roster (default: the class year, 2022 for the demo roster)"
    )
    parser.add_argument(
        "--count", type=int, help="graduates in the generated roster (default: the 6,338 of the demo roster)"
    )
    parser.add_argument(
        "--roster-file", help="upload this roster file (CSV or XLSX in the national layout) instead of the demo roster"
    )
    parser.add_argument(
        "--class-year",
        type=parse_class_year,
        default=CLASS_YEAR,
        help="graduating class of the uploaded file, the year of graduation, or 'current' for the latest class that may "
        "still sign",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds to wait for sync to list the roster and deliver the demo logins",
    )
    args = parser.parse_args(argv)
    if args.roster_file is None and args.class_year != CLASS_YEAR and args.count is None:
        parser.error(f"the demo roster is of class {CLASS_YEAR}; --class-year needs --roster-file or --count")
    if args.roster_file is not None and (args.count is not None or args.seed is not None):
        parser.error("--count and --seed apply to the generated roster, not to --roster-file")
    if args.count is not None and args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    if args.seed is None:
        args.seed = DEFAULT_SEED if args.class_year == CLASS_YEAR else args.class_year
    if args.timeout < 0:
        parser.error(f"--timeout must not be negative, got {args.timeout}")
    return args


def main(argv=None):
    args = parse_args(argv)

    school_admin = Session(args.base_url)
    try:
        user = school_admin.login("school_admin", DEMO_PASSWORD)
    except ApiError as error:
        raise RuntimeError(f"school_admin cannot sign in ({error}); run load_demo.py first") from error
    school_id = user["schoolId"]

    if args.roster_file:
        path = pathlib.Path(args.roster_file)
    else:
        path = cached_roster(args.cache_dir, args.class_year, args.seed, args.count)
    content = path.read_bytes()

    upload = upload_roster(args.base_url, path, content, args.class_year)
    deadline = time.monotonic() + args.timeout
    listed = wait_for_roster(school_admin, school_id, args.class_year, upload.get("rowsRead", 0), deadline, args.timeout)

    try:
        records = read_roster_records(content)
    except (ValueError, KeyError, IndexError, zipfile.BadZipFile, ElementTree.ParseError) as error:
        raise RuntimeError(f"reading the demo graduates from {path} failed: {error}") from error
    logins = []
    for record in choose_demo_graduates(records):
        username = f"{SCHOOL['code']}-{record['学号']}"
        wait_for_login(school_admin, school_id, username, deadline, args.timeout)
        logins.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "name": record["姓名"],
                "department": record.get("所在院系", ""),
                "role": GRADUATE_ROLE,
                "verified": activate_graduate(args.base_url, username, record),
            }
        )

    summary = {
        "roster": {
            "file": str(path),
            "classYear": args.class_year,
            "rowsRead": upload.get("rowsRead", 0),
            "inserted": upload.get("inserted", 0),
            "updated": upload.get("updated", 0),
            "unchanged": upload.get("unchanged", 0),
            "restored": upload.get("restored", 0),
            "graduatesListed": listed,
        },
        "logins": logins,
    }
    json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, RuntimeError, ValueError, OSError) as error:
        log(f"error: {error}")
        sys.exit(1)
