#!/usr/bin/env python3
"""End-to-end test of the signing flows in a real browser: staff console, employer and graduate portals.

Starts the stack of console_e2e_test.py (ems-simulator, accounts, warning, sync, signing and the
gateway serving web/dist) from QUXIANG_BUILD_DIR on free loopback ports with fresh databases on
the MariaDB or MySQL server named by MYSQL_HOST, MYSQL_PORT, MYSQL_USER and MYSQL_PASSWORD.
Loads the demo school with tools/demo/load_demo.py and a 300-graduate roster of the current class
with tools/demo/load_roster.py, and gives every department of that roster a read-write department
account, which two-level review needs. Then web/e2e/signing.e2e.mjs drives Debian's
/usr/bin/chromium headless: a school user submits the signing settings with two-level review, an
employer registers and invites a graduate, the graduate accepts, the department and the school
approve, the graduate downloads the agreement PDF and 数据统计 counts the signing. Then a second
graduate fills in an offline e-agreement, which the department returns once before both stages
approve it and the stamped scan, and a third registers a signed paper agreement (补登), withdraws
and submits it again before both stages approve. Screenshots go to test-artifacts/signing/.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE_DIR / "tools" / "demo"))
sys.path.insert(0, str(SOURCE_DIR / "web" / "e2e"))
import load_demo  # noqa: E402  (imported after the path change on purpose)
import load_roster  # noqa: E402
import load_signing_demo  # noqa: E402
from console_e2e_test import Stack, run_tool  # noqa: E402

CURRENT_CLASS_GRADUATES = 300
LOADER_TIMEOUT_SECONDS = 180
# The browser part took 60 to 112 s in runs of this test on the shared 2-core development machine
# while other builds ran; the bound leaves room for a slower CI machine.
BROWSER_TIMEOUT_SECONDS = 420
# 91 (an enterprise), 110108 (北京市海淀区) and a made-up organisation code, so the employer that
# the browser registers differs from load_signing_demo.py's demo employer.
CREDIT_CODE_PREFIX = "91110108MAE2E0001"
# The employer of the offline e-agreement, which is not registered on the platform: 91, 110105
# (北京市朝阳区) and another made-up organisation code.
OFFLINE_CREDIT_CODE_PREFIX = "91110105MAE2E0002"
# The employer of the paper agreement: 91, 110106 (北京市丰台区) and a third made-up code.
PAPER_CREDIT_CODE_PREFIX = "91110106MAE2E0003"
EMPLOYER_USERNAME = "e2e_employer"
# The read-write department accounts that this test adds are named e2e_dept_<n>.
DEPARTMENT_USERNAME = "e2e_dept_{}"


def department_accounts(school_admin, school_id, class_year):
    """Give every department with graduates in the class a read-write department account.

    Returns {department name: username}. Two-level review (先院系再校级审核) can be submitted only
    when every such department has one; the demo's dept_jisuanji is read-only.
    """
    statistics = school_admin.request("GET", f"/v1/schools/{school_id}/classes/{class_year}/statistics")
    names = sorted(group["name"] for group in statistics.get("byDepartment", []) if group.get("graduateCount"))
    if not names:
        raise RuntimeError(f"the statistics of class {class_year} list no department with graduates")
    accounts = {}
    for index, name in enumerate(names, start=1):
        username = DEPARTMENT_USERNAME.format(index)
        load_demo.ensure_user(
            school_admin,
            school_id,
            {
                "username": username,
                "displayName": f"{name}审核员",
                "kind": "PRINCIPAL_KIND_DEPARTMENT",
                "departmentName": name,
                "grants": load_demo.grants({"MODULE_EMPLOYMENT": "ACCESS_READ_WRITE"}),
                "role": f"department staff of {name}, read-write",
            },
        )
        accounts[name] = username
    return accounts


def directed_graduate(roster_file):
    """Return a roster record whose training mode (21 定向, 41 委培) rules out online signing."""
    records = load_roster.read_roster_records(pathlib.Path(roster_file).read_bytes())
    for record in records:
        if record.get("培养方式代码") in load_roster.NOT_ONLINE_SIGNING_TRAINING_MODES and record.get("学号"):
            return record
    raise RuntimeError(f"{roster_file} has no graduate with training mode 21 or 41; the test needs one")


def main():
    for variable in ("QUXIANG_BUILD_DIR", "MYSQL_HOST"):
        if not os.environ.get(variable):
            print(f"{variable} is not set; run this test through ctest")
            return 1
    build_dir = pathlib.Path(os.environ["QUXIANG_BUILD_DIR"])
    web_root = SOURCE_DIR / "web" / "dist"
    if not (web_root / "index.html").is_file():
        print(f"{web_root}/index.html is missing; build the console with 'npm run build' in web/ (scripts/test does)")
        return 1
    chromium = os.environ.get("QUXIANG_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        print(f"{chromium} is missing; install Debian's chromium package (scripts/setup does)")
        return 1
    if not (SOURCE_DIR / "web" / "node_modules" / "playwright-core").is_dir():
        print("web/node_modules/playwright-core is missing; run 'npm ci' in web/ (scripts/setup does)")
        return 1

    artifacts = SOURCE_DIR / "test-artifacts" / "signing"
    shutil.rmtree(artifacts, ignore_errors=True)
    work_dir = pathlib.Path(tempfile.mkdtemp(prefix="quxiang-signing-e2e-"))
    stack = Stack(build_dir, work_dir)
    class_year = load_demo.current_class_year()
    started = time.monotonic()
    try:
        stack.start(web_root)
        demo = run_tool(
            [
                sys.executable,
                str(SOURCE_DIR / "tools/demo/load_demo.py"),
                f"--base-url={stack.base_url}",
                f"--operator-password-file={stack.operator_password_file}",
            ],
            LOADER_TIMEOUT_SECONDS,
        )
        roster = run_tool(
            [
                sys.executable,
                str(SOURCE_DIR / "tools/demo/load_roster.py"),
                f"--base-url={stack.base_url}",
                "--class-year=current",
                f"--count={CURRENT_CLASS_GRADUATES}",
                f"--cache-dir={work_dir / 'roster-cache'}",
                f"--timeout={LOADER_TIMEOUT_SECONDS}",
            ],
            LOADER_TIMEOUT_SECONDS + 60,
        )
        school_id = demo["school"]["id"]
        school_admin = load_demo.Session(stack.base_url)
        school_admin.login("school_admin", load_demo.DEMO_PASSWORD)
        accounts = department_accounts(school_admin, school_id, class_year)

        graduate, second, offline = roster["logins"][0], roster["logins"][1], roster["logins"][2]
        for login in (graduate, second, offline):
            if login["department"] not in accounts:
                raise RuntimeError(f"no department account for {login['department']}, the department of {login['username']}")
        directed = directed_graduate(roster["roster"]["file"])
        credit_code = CREDIT_CODE_PREFIX + load_signing_demo.credit_code_check_character(CREDIT_CODE_PREFIX)
        offline_credit_code = OFFLINE_CREDIT_CODE_PREFIX + load_signing_demo.credit_code_check_character(
            OFFLINE_CREDIT_CODE_PREFIX
        )
        paper_credit_code = PAPER_CREDIT_CODE_PREFIX + load_signing_demo.credit_code_check_character(
            PAPER_CREDIT_CODE_PREFIX
        )
        # The same code with another last character: a wrong check character.
        bad_credit_code = credit_code[:17] + ("0" if credit_code[17] != "0" else "1")
        print(f"stack and demo data ready after {time.monotonic() - started:.1f} s at {stack.base_url}", flush=True)

        browser = subprocess.run(
            [
                "node",
                str(SOURCE_DIR / "web/e2e/signing.e2e.mjs"),
                f"--base-url={stack.base_url}",
                f"--artifacts={artifacts}",
                f"--password={load_demo.DEMO_PASSWORD}",
                f"--school-id={school_id}",
                f"--class-year={class_year}",
                f"--graduate-username={graduate['username']}",
                f"--graduate-name={graduate['name']}",
                f"--second-student-number={second['username'].split('-', 1)[1]}",
                f"--second-name={second['name']}",
                f"--directed-student-number={directed['学号']}",
                f"--directed-name={directed['姓名']}",
                f"--directed-id-number={directed['身份证号']}",
                f"--department-username={accounts[graduate['department']]}",
                f"--credit-code={credit_code}",
                f"--bad-credit-code={bad_credit_code}",
                f"--employer-username={EMPLOYER_USERNAME}",
                f"--offline-graduate-username={offline['username']}",
                f"--offline-graduate-name={offline['name']}",
                f"--offline-department-username={accounts[offline['department']]}",
                f"--offline-credit-code={offline_credit_code}",
                f"--paper-graduate-username={second['username']}",
                f"--paper-department-username={accounts[second['department']]}",
                f"--paper-credit-code={paper_credit_code}",
            ],
            cwd=SOURCE_DIR / "web",
            timeout=BROWSER_TIMEOUT_SECONDS,
            check=False,
        )
        print(f"total {time.monotonic() - started:.1f} s; screenshots in {artifacts}")
        if browser.returncode != 0:
            print(stack.log_tails())
        return browser.returncode
    except Exception as error:  # noqa: BLE001  (any failure of the setup is the test's failure)
        print(f"signing e2e setup failed: {error}\n{stack.log_tails()}")
        return 1
    finally:
        stack.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
