#!/usr/bin/env python3
"""End-to-end test of the web console in a real browser against the real stack.

Starts ems-simulator, accounts, warning, sync, signing and the gateway (serving web/dist) from
QUXIANG_BUILD_DIR on free loopback ports, with fresh databases on the MariaDB or MySQL server
named by MYSQL_HOST, MYSQL_PORT, MYSQL_USER and MYSQL_PASSWORD (scripts/test exports them).
Loads the demo school with tools/demo/load_demo.py and its 6,338-graduate roster of class 2022
with tools/demo/load_roster.py. For 在线签约管理 it also loads a small roster of the current class
and the demo employer, which invites some of its graduates, who accept. Then it runs
web/e2e/console.e2e.mjs, which drives Debian's /usr/bin/chromium headless with playwright-core.
Screenshots go to test-artifacts/console/.
"""

import datetime
import http.client
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE_DIR / "tools" / "demo"))
import load_demo  # noqa: E402  (imported after the path change on purpose)
import load_roster  # noqa: E402
import load_signing_demo  # noqa: E402
from load_demo_test import wait_for_port_file  # noqa: E402

GRADUATE_COUNT = 6338
# The department of the read-only department account dept_jisuanji of load_demo.py.
E2E_DEPARTMENT = "计算机学院"
# The demo roster is one XLSX file of 1.4 MB, 1.9 MB in base64, so the gateway needs the limit
# that scripts/run sets.
MAX_BODY_BYTES = 4 << 20
SERVICE_SECRETS = {
    "sync": "console-e2e-sync-secret-0123456789abcdef",
    "signing": "console-e2e-signing-secret-0123456789abcdef",
}
LOADER_TIMEOUT_SECONDS = 180
# Graduates of the current class in the roster that gives the console online signings, and how
# many of them accept an invitation (console.e2e.mjs reviews them in its own order).
CURRENT_CLASS_GRADUATES = 40
SIGNING_COUNT = 6
# Graduates of the current class, after those of the online signings, who register a paper
# agreement (补登) and submit it.
PAPER_COUNT = 3
PAPER_EMPLOYER = {"name": "京华纸质协议测试有限公司", "creditCodePrefix": "91110108MA01JH303"}
# Graduates after those who register a paper agreement, who fill in an offline e-agreement: the
# first waits for the agreement review, the second, approved there, has uploaded the stamped scan.
OFFLINE_COUNT = 2
OFFLINE_EMPLOYER = {"name": "杭州青禾文化传媒有限公司", "creditCodePrefix": "91330100MA27XK2A4"}
BROWSER_TIMEOUT_SECONDS = 240


class Stack:
    """The services and the gateway, each with its log in the work folder."""

    def __init__(self, build_dir, work_dir):
        self.build_dir = build_dir
        self.work_dir = work_dir
        self.processes = {}
        self.log_files = []
        suffix = f"{os.getpid()}_{int(time.time())}"
        self.databases = {
            name: f"quxiang_console_e2e_{name}_{suffix}" for name in ("accounts", "warning", "sync", "signing")
        }

    def write_keys(self):
        self.private_key = self.work_dir / "token-private.pem"
        self.public_key = self.work_dir / "token-public.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(self.private_key)], check=True)
        subprocess.run(
            ["openssl", "pkey", "-in", str(self.private_key), "-pubout", "-out", str(self.public_key)], check=True
        )
        self.operator_password_file = self.work_dir / "operator-password"
        self.operator_password_file.write_text("Op-Console-2024x")
        digests = []
        for name, secret in SERVICE_SECRETS.items():
            (self.work_dir / f"{name}-secret").write_text(secret + "\n")
            digest = subprocess.run(
                ["sha256sum"], input=secret.encode(), capture_output=True, check=True
            ).stdout.split()[0].decode()
            digests.append(f"{name}:{digest}\n")
        (self.work_dir / "service-secrets").write_text("".join(digests))
        (self.work_dir / "graduate-identity-key").write_text("console-e2e-graduate-identity-key-0123456789\n")

    def start_process(self, name, arguments):
        """Start a binary with its log in the work folder and return the port it reports."""
        port_file = self.work_dir / f"{name}.port"
        log_path = self.work_dir / f"{name}.log"
        self.log_files.append(log_path.open("a"))
        process = subprocess.Popen(
            arguments + [f"--port_file={port_file}"], stdout=self.log_files[-1], stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return wait_for_port_file(process, port_file, log_path)

    def service(self, name, *flags):
        binary = self.build_dir / ("tools" if name == "ems-simulator" else "services") / name / name
        return self.start_process(
            name,
            [str(binary), "--grpc_port=0", f"--token_public_key_files={self.public_key}", "--drain_delay_ms=0", *flags],
        )

    def signing_flags(self, accounts_port, sync_port, warning_port):
        flags = [
            f"--mysql_database={self.databases['signing']}",
            f"--accounts_address=127.0.0.1:{accounts_port}",
            f"--sync_address=127.0.0.1:{sync_port}",
            f"--service_secret_file={self.work_dir / 'signing-secret'}",
        ]
        # Newer signing binaries look up warned employers and need the warning service's address.
        signing_help = subprocess.run(
            [str(self.build_dir / "services/signing/signing"), "--helpfull"], capture_output=True, text=True, check=False
        )
        if "warning_address" in signing_help.stdout + signing_help.stderr:
            flags.append(f"--warning_address=127.0.0.1:{warning_port}")
        # Signing binaries that issue agreement PDFs need the key of their verification codes.
        if "agreement_key_file" in signing_help.stdout + signing_help.stderr:
            key_file = self.work_dir / "agreement-key"
            key_file.write_text("console-e2e-agreement-key-0123456789abcdef0123456789abcdef\n")
            key_file.chmod(0o600)
            flags.append(f"--agreement_key_file={key_file}")
        return flags

    def start(self, web_root):
        self.write_keys()

        ems_port = self.service("ems-simulator", "--seed=7")
        accounts_port = self.service(
            "accounts",
            f"--mysql_database={self.databases['accounts']}",
            f"--token_private_key_file={self.private_key}",
            f"--operator_password_file={self.operator_password_file}",
            f"--service_secrets_file={self.work_dir / 'service-secrets'}",
            f"--graduate_identity_key_file={self.work_dir / 'graduate-identity-key'}",
        )
        warning_port = self.service("warning", f"--mysql_database={self.databases['warning']}")
        # Short pauses between polls and deliveries, so the roster reaches sync within seconds.
        sync_port = self.service(
            "sync",
            f"--mysql_database={self.databases['sync']}",
            f"--ems_address=127.0.0.1:{ems_port}",
            f"--accounts_address=127.0.0.1:{accounts_port}",
            f"--service_secret_file={self.work_dir / 'sync-secret'}",
            "--roster_poll_interval=100ms",
            "--relay_interval=100ms",
        )
        signing_port = self.service("signing", *self.signing_flags(accounts_port, sync_port, warning_port))

        backends = ",".join(
            [
                f"quxiang.accounts.v1.AccountsService=127.0.0.1:{accounts_port}",
                f"quxiang.signing.v1.SigningService=127.0.0.1:{signing_port}",
                f"quxiang.signing.v1.OfflineSigningService=127.0.0.1:{signing_port}",
                f"quxiang.signing.v1.PaperRegistrationService=127.0.0.1:{signing_port}",
                f"quxiang.warning.v1.WarningService=127.0.0.1:{warning_port}",
                f"quxiang.sync.v1.SyncService=127.0.0.1:{sync_port}",
                f"quxiang.ems.v1.EmsSimulatorControl=127.0.0.1:{ems_port}",
            ]
        )

        gateway_port = self.start_process(
            "gateway",
            [
                str(self.build_dir / "services/gateway/gateway"),
                "--http_port=0",
                f"--max_body_bytes={MAX_BODY_BYTES}",
                f"--backends={backends}",
                f"--web_root={web_root}",
            ],
        )
        self.base_url = f"http://127.0.0.1:{gateway_port}"

    def stop(self):
        for process in reversed(list(self.processes.values())):
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log_file in self.log_files:
            log_file.close()
        self.drop_databases()

    def drop_databases(self):
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is None:
            print(f"NOTE: no mariadb client found; databases {list(self.databases.values())} are left behind")
            return
        environment = dict(os.environ, MYSQL_PWD=os.environ.get("MYSQL_PASSWORD", ""))
        for database in self.databases.values():
            subprocess.run(
                [
                    client,
                    "--no-defaults",
                    f"--host={os.environ['MYSQL_HOST']}",
                    f"--port={os.environ.get('MYSQL_PORT', '3306')}",
                    f"--user={os.environ.get('MYSQL_USER', 'root')}",
                    "-e",
                    f"DROP DATABASE IF EXISTS `{database}`",
                ],
                env=environment,
                check=False,
            )

    def log_tails(self):
        tails = []
        for name in self.processes:
            lines = (self.work_dir / f"{name}.log").read_text(errors="replace").splitlines()
            tails.append(f"--- {name}.log (last 20 lines) ---\n" + "\n".join(lines[-20:]))
        return "\n".join(tails)


def run_tool(arguments, timeout_seconds):
    result = subprocess.run(arguments, capture_output=True, text=True, timeout=timeout_seconds, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{pathlib.Path(arguments[1]).name} failed with {result.returncode}:\n{result.stderr}")
    return json.loads(result.stdout)


def wait_for(description, probe, timeout_seconds=60):
    """Poll `probe` until it returns a true value and return that value; raise after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout_seconds} s waiting until {description}")


def invalidated_graduates(session, school_id, department):
    query = f"state=GRADUATE_STATE_INVALIDATED&department={urllib.parse.quote(department)}"
    path = f"/v1/schools/{school_id}/classes/{load_roster.CLASS_YEAR}/graduates?{query}"
    return session.request("GET", path).get("graduates", [])


def prepare_restorable_graduate(base_url, roster_file):
    """Remove one graduate of 计算机学院 from the EMS and send it again, as a school does.

    Sync then lists the graduate in 失效信息管理 with an automatic restore due in an hour
    (--restore_delay), so the console's 恢复 button can restore it at once. Returns the roster
    record of that graduate and of a second one of the same department, which the browser test
    removes later.
    """
    records = load_roster.read_roster_records(pathlib.Path(roster_file).read_bytes())
    computing = [record for record in records if record.get("所在院系") == E2E_DEPARTMENT]
    restorable, second = computing[0], computing[1]
    school_code = load_demo.SCHOOL["code"]

    admin = load_demo.Session(base_url)
    school_id = admin.login("school_admin", load_demo.DEMO_PASSWORD)["schoolId"]
    id_number = restorable["身份证号"]
    admin.request("POST", f"/v1/ems-simulator/schools/{school_code}/graduates/{id_number}:remove")
    wait_for(
        "sync lists the removed graduate as invalidated",
        lambda: invalidated_graduates(admin, school_id, E2E_DEPARTMENT),
    )
    admin.request("POST", f"/v1/ems-simulator/schools/{school_code}/graduates/{id_number}:readd")
    wait_for(
        "sync schedules the restore of the graduate sent again",
        lambda: any(g.get("restoreDueAt") for g in invalidated_graduates(admin, school_id, E2E_DEPARTMENT)),
    )
    return restorable, second


def create_pending_signings(base_url, work_dir):
    """Give the console online signings to review: SIGNING_COUNT graduates of the current class
    accept an invitation of the demo employer, which the school has marked as a warned employer.

    Loads a roster of CURRENT_CLASS_GRADUATES graduates of the current class (class 2022 is
    closed, so its graduates cannot sign) and the signing settings and employer of
    load_signing_demo.py, as scripts/run does. Further graduates register paper agreements and
    fill in offline e-agreements. Returns the employer's name and the names of the graduates with
    invitations, paper registrations and offline agreements, each list in creation order.
    """
    roster = run_tool(
        [
            sys.executable,
            str(SOURCE_DIR / "tools/demo/load_roster.py"),
            f"--base-url={base_url}",
            f"--cache-dir={work_dir / 'roster-cache'}",
            "--class-year=current",
            f"--count={CURRENT_CLASS_GRADUATES}",
            f"--timeout={LOADER_TIMEOUT_SECONDS}",
        ],
        LOADER_TIMEOUT_SECONDS + 60,
    )
    signing = run_tool(
        [sys.executable, str(SOURCE_DIR / "tools/demo/load_signing_demo.py"), f"--base-url={base_url}", "--class-year=current"],
        LOADER_TIMEOUT_SECONDS,
    )
    class_year = roster["roster"]["classYear"]
    records = load_roster.read_roster_records(pathlib.Path(roster["roster"]["file"]).read_bytes())
    eligible = [
        record
        for record in records
        if record.get("培养方式代码") not in load_roster.NOT_ONLINE_SIGNING_TRAINING_MODES
        and load_roster.is_basic_multilingual(record.get("姓名", ""))
    ]
    needed = SIGNING_COUNT + PAPER_COUNT + OFFLINE_COUNT
    if len(eligible) < needed:
        raise RuntimeError(f"the current class has {len(eligible)} graduates who may sign, fewer than {needed}")

    admin = load_demo.Session(base_url)
    school_id = admin.login("school_admin", load_demo.DEMO_PASSWORD)["schoolId"]
    employer_login = signing["employer"]
    admin.request(
        "POST",
        f"/v1/schools/{school_id}/warningMarks",
        {
            "requestId": f"console-e2e-warn-{os.getpid()}",
            "creditCode": employer_login["creditCode"],
            "employerName": employer_login["name"],
            "category": "WARNING_CATEGORY_FALSE_ADVERTISING",
            "note": "浏览器测试标记的预警单位",
        },
    )
    employer = load_demo.Session(base_url)
    employer.login(employer_login["username"], employer_login["password"])
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)
    names = []
    login_deadline = time.monotonic() + LOADER_TIMEOUT_SECONDS
    for index, record in enumerate(eligible[:SIGNING_COUNT]):
        username = f"{load_demo.SCHOOL['code']}-{record['学号']}"
        load_roster.wait_for_login(admin, school_id, username, login_deadline, LOADER_TIMEOUT_SECONDS)
        load_roster.activate_graduate(base_url, username, record)
        invitation = employer.request(
            "POST",
            f"/v1/employers/{employer_login['id']}/invitations",
            {
                "requestId": f"console-e2e-invite-{os.getpid()}-{index}",
                "schoolId": school_id,
                "studentNumber": record["学号"],
                "classYear": class_year,
                "answerDeadline": deadline.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        graduate = load_demo.Session(base_url)
        graduate.login(username, load_demo.DEMO_PASSWORD)
        graduate.request(
            "POST",
            f"/v1/invitations/{invitation['id']}:accept",
            {"requestId": f"console-e2e-accept-{os.getpid()}-{index}", "etag": invitation.get("etag", "")},
        )
        names.append(record["姓名"])

    paper_names = []
    for index, record in enumerate(eligible[SIGNING_COUNT : SIGNING_COUNT + PAPER_COUNT]):
        username = f"{load_demo.SCHOOL['code']}-{record['学号']}"
        load_roster.wait_for_login(admin, school_id, username, login_deadline, LOADER_TIMEOUT_SECONDS)
        load_roster.activate_graduate(base_url, username, record)
        graduate = load_demo.Session(base_url)
        graduate_user = graduate.login(username, load_demo.DEMO_PASSWORD)
        register_paper_agreement(graduate, graduate_user, index)
        paper_names.append(record["姓名"])

    offline_names = []
    first_offline = SIGNING_COUNT + PAPER_COUNT
    for index, record in enumerate(eligible[first_offline : first_offline + OFFLINE_COUNT]):
        username = f"{load_demo.SCHOOL['code']}-{record['学号']}"
        load_roster.wait_for_login(admin, school_id, username, login_deadline, LOADER_TIMEOUT_SECONDS)
        load_roster.activate_graduate(base_url, username, record)
        graduate = load_demo.Session(base_url)
        graduate_user = graduate.login(username, load_demo.DEMO_PASSWORD)
        agreement = create_offline_agreement(graduate, graduate_user, index)
        if index == 1:
            upload_stamped_agreement(admin, graduate, agreement)
        offline_names.append(record["姓名"])
    return employer_login["name"], names, paper_names, offline_names


def scan_png():
    """Return a small valid PNG (a 64×48 grey image) that stands for the stamped agreement scan."""
    width, height = 64, 48
    rows = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def post_raw(session, path, data, content_type, file_name):
    """POST `data` as the raw body, as a browser uploads a file, and return the decoded JSON."""
    headers = {
        "Content-Type": content_type,
        "X-File-Name": file_name,
        "Cookie": "; ".join(f"{name}={value}" for name, value in session.cookies.items()),
        "X-CSRF-Token": session.cookies.get("qx_csrf", ""),
    }
    connection = http.client.HTTPConnection(session.host, session.port, timeout=30)
    try:
        connection.request("POST", path, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()
    if response.status >= 400:
        raise RuntimeError(f"POST {path} failed with HTTP {response.status}: {body}")
    return json.loads(body)


def create_offline_agreement(graduate, graduate_user, index):
    """Fill in an offline e-agreement as the graduate does; it waits for the agreement review."""
    prefix = OFFLINE_EMPLOYER["creditCodePrefix"]
    return graduate.request(
        "POST",
        f"/v1/schools/{graduate_user['schoolId']}/graduates/{graduate_user['graduateId']}/offlineAgreements",
        {
            "requestId": f"console-e2e-offline-{os.getpid()}-{index}",
            "employer": {
                "name": OFFLINE_EMPLOYER["name"],
                "creditCode": prefix + load_signing_demo.credit_code_check_character(prefix),
                "natureCode": "10",
                "industryCode": "11",
                "locationCode": "330100",
                "address": "浙江省杭州市西湖区文三路 90 号",
                "contactName": "李经理",
                "contactPhone": "0571-87654321",
            },
            "terms": {"position": "新媒体运营", "workLocation": "杭州市", "salary": "月薪 9000 元"},
        },
    )


def upload_stamped_agreement(admin, graduate, agreement):
    """Approve the agreement review as the school, then upload the stamped scan as the graduate."""
    base = f"/v1/schools/{agreement['schoolId']}/offlineAgreements/{agreement['id']}"
    approved = admin.request(
        "POST",
        f"{base}:review",
        {
            "requestId": f"console-e2e-offline-approve-{os.getpid()}",
            "etag": agreement["etag"],
            "decision": "OFFLINE_REVIEW_DECISION_APPROVE",
        },
    )
    query = urllib.parse.urlencode({"requestId": f"console-e2e-stamped-{os.getpid()}", "etag": approved["etag"]})
    post_raw(graduate, f"{base}/stampedScan?{query}", scan_png(), "image/png", "stamped-agreement.png")


def register_paper_agreement(graduate, graduate_user, index):
    """Register a signed paper agreement as the graduate does: a draft, its scan, then submit."""
    prefix = PAPER_EMPLOYER["creditCodePrefix"]
    signed = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)).strftime("%Y-%m-%d")
    agreement = {
        "employerName": PAPER_EMPLOYER["name"],
        "employerCreditCode": prefix + load_signing_demo.credit_code_check_character(prefix),
        "unitNatureCode": "39",
        "industryCode": "34",
        "jobCategoryCode": "13",
        "unitLocationCode": "110108",
        "position": "软件工程师",
        "contactName": "王经理",
        "contactPhone": "010-67410355",
        "employerAddress": "北京市海淀区中关村大街 1 号",
        "employerPostalCode": "100080",
        "signedDate": signed,
    }
    base = f"/v1/schools/{graduate_user['schoolId']}/graduates/{graduate_user['graduateId']}/paperRegistrations"
    draft = graduate.request("POST", base, {"requestId": f"console-e2e-paper-{os.getpid()}-{index}", "agreement": agreement})
    query = urllib.parse.urlencode({"requestId": f"console-e2e-scan-{os.getpid()}-{index}", "etag": draft["etag"]})
    scanned = post_raw(graduate, f"{base}/{draft['id']}/scan?{query}", scan_png(), "image/png", "agreement-scan.png")
    graduate.request(
        "POST",
        f"{base}/{draft['id']}:submit",
        {"requestId": f"console-e2e-submit-{os.getpid()}-{index}", "etag": scanned["etag"]},
    )


def main():
    for variable in ("QUXIANG_BUILD_DIR", "MYSQL_HOST"):
        if not os.environ.get(variable):
            print(f"{variable} is not set; run this test through scripts/test")
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

    artifacts = SOURCE_DIR / "test-artifacts" / "console"
    shutil.rmtree(artifacts, ignore_errors=True)
    work_dir = pathlib.Path(tempfile.mkdtemp(prefix="quxiang-console-e2e-"))
    stack = Stack(build_dir, work_dir)
    started = time.monotonic()
    try:
        stack.start(web_root)
        run_tool(
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
                f"--cache-dir={work_dir / 'roster-cache'}",
                f"--timeout={LOADER_TIMEOUT_SECONDS}",
            ],
            LOADER_TIMEOUT_SECONDS + 60,
        )
        listed = roster["roster"]["graduatesListed"]
        if listed != GRADUATE_COUNT:
            print(f"the demo roster has {listed} graduates, expected {GRADUATE_COUNT}")
            return 1
        restorable, second = prepare_restorable_graduate(stack.base_url, roster["roster"]["file"])
        employer_name, signing_names, paper_names, offline_names = create_pending_signings(stack.base_url, work_dir)
        print(f"stack and demo data ready after {time.monotonic() - started:.1f} s at {stack.base_url}", flush=True)

        browser = subprocess.run(
            [
                "node",
                str(SOURCE_DIR / "web/e2e/console.e2e.mjs"),
                f"--base-url={stack.base_url}",
                f"--artifacts={artifacts}",
                f"--password={load_demo.DEMO_PASSWORD}",
                f"--graduates={GRADUATE_COUNT}",
                f"--school-code={load_demo.SCHOOL['code']}",
                f"--restorable-name={restorable['姓名']}",
                f"--second-id-number={second['身份证号']}",
                f"--second-name={second['姓名']}",
                f"--employer-name={employer_name}",
                f"--signing-names={json.dumps(signing_names, ensure_ascii=False)}",
                f"--paper-names={json.dumps(paper_names, ensure_ascii=False)}",
                f"--offline-names={json.dumps(offline_names, ensure_ascii=False)}",
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
        print(f"console e2e setup failed: {error}\n{stack.log_tails()}")
        return 1
    finally:
        stack.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
