#!/usr/bin/env python3
"""End-to-end test of load_roster.py against the real ems-simulator, accounts, sync and gateway.

Starts the four binaries from QUXIANG_BUILD_DIR on free loopback ports. accounts and sync get
fresh databases on the MariaDB or MySQL server named by MYSQL_HOST, MYSQL_PORT, MYSQL_USER and
MYSQL_PASSWORD (scripts/test exports them). The demo school comes from load_demo.py. The tests
run in the order of their names, because the first one uploads the demo roster that the later
ones build on.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import load_demo  # noqa: E402  (imported after the path change on purpose)
import load_roster  # noqa: E402
from load_demo_test import wait_for_port_file  # noqa: E402

DEMO_DIR = pathlib.Path(__file__).resolve().parent
GRADUATE_COUNT = 6338
# Bounds each loader run. The whole test took 38 s on a two-core machine that was building at
# the same time, so this leaves ample room.
LOADER_TIMEOUT_SECONDS = 120
# The gateway limit that scripts/run sets, so that the XLSX demo roster fits in one upload.
MAX_BODY_BYTES = 4 << 20
SERVICE_SECRET = "roster-test-sync-secret-0123456789abcdef"


class RosterLoaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for variable in ("QUXIANG_BUILD_DIR", "MYSQL_HOST"):
            if not os.environ.get(variable):
                raise RuntimeError(f"{variable} is not set; run this test through scripts/test")
        cls.build_dir = pathlib.Path(os.environ["QUXIANG_BUILD_DIR"])

        cls.work_dir = pathlib.Path(tempfile.mkdtemp(prefix="quxiang-roster-test-"))
        cls.cache_dir = cls.work_dir / "cache"
        cls.processes = {}
        cls.log_files = []
        suffix = f"{os.getpid()}_{int(time.time())}"
        cls.databases = [f"quxiang_roster_test_accounts_{suffix}", f"quxiang_roster_test_sync_{suffix}"]
        try:
            cls._start()
            cls._load_demo_school()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _write_keys(cls):
        cls.private_key = cls.work_dir / "token-private.pem"
        cls.public_key = cls.work_dir / "token-public.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(cls.private_key)], check=True)
        subprocess.run(
            ["openssl", "pkey", "-in", str(cls.private_key), "-pubout", "-out", str(cls.public_key)], check=True
        )
        cls.operator_password_file = cls.work_dir / "operator-password"
        cls.operator_password_file.write_text("Op-Test-2024x")
        (cls.work_dir / "sync-secret").write_text(SERVICE_SECRET + "\n")
        digest = subprocess.run(
            ["sha256sum"], input=SERVICE_SECRET.encode(), capture_output=True, check=True
        ).stdout.split()[0].decode()
        (cls.work_dir / "service-secrets").write_text(f"sync:{digest}\n")
        (cls.work_dir / "graduate-identity-key").write_text("roster-test-graduate-identity-key-0123456789\n")

    @classmethod
    def _start_process(cls, name, arguments):
        """Start a binary with its log under the work folder and return the port it reports."""
        port_file = cls.work_dir / f"{name}.port"
        port_file.unlink(missing_ok=True)
        log_path = cls.work_dir / f"{name}.log"
        cls.log_files.append(log_path.open("a"))
        process = subprocess.Popen(
            arguments + [f"--port_file={port_file}"], stdout=cls.log_files[-1], stderr=subprocess.STDOUT
        )
        cls.processes[name] = process
        return wait_for_port_file(process, port_file, log_path)

    @classmethod
    def _service_flags(cls):
        return [f"--token_public_key_files={cls.public_key}", "--drain_delay_ms=0"]

    @classmethod
    def _start_ems_simulator(cls, port=0):
        return cls._start_process(
            "ems-simulator",
            [str(cls.build_dir / "tools/ems-simulator/ems-simulator"), f"--grpc_port={port}", "--seed=5"]
            + cls._service_flags(),
        )

    @classmethod
    def _start(cls):
        cls._write_keys()
        cls.ems_port = cls._start_ems_simulator()
        accounts_port = cls._start_process(
            "accounts",
            [
                str(cls.build_dir / "services/accounts/accounts"),
                "--grpc_port=0",
                f"--mysql_database={cls.databases[0]}",
                f"--token_private_key_file={cls.private_key}",
                f"--operator_password_file={cls.operator_password_file}",
                f"--service_secrets_file={cls.work_dir / 'service-secrets'}",
                f"--graduate_identity_key_file={cls.work_dir / 'graduate-identity-key'}",
            ]
            + cls._service_flags(),
        )
        # Short pauses between polls and deliveries, so the roster reaches sync and the logins
        # reach accounts within seconds instead of the production defaults of 5 s and 1 s per
        # round.
        sync_port = cls._start_process(
            "sync",
            [
                str(cls.build_dir / "services/sync/sync"),
                "--grpc_port=0",
                f"--mysql_database={cls.databases[1]}",
                f"--ems_address=127.0.0.1:{cls.ems_port}",
                f"--accounts_address=127.0.0.1:{accounts_port}",
                f"--service_secret_file={cls.work_dir / 'sync-secret'}",
                "--roster_poll_interval=100ms",
                "--relay_interval=100ms",
            ]
            + cls._service_flags(),
        )
        backends = ",".join(
            [
                f"quxiang.accounts.v1.AccountsService=127.0.0.1:{accounts_port}",
                f"quxiang.sync.v1.SyncService=127.0.0.1:{sync_port}",
                f"quxiang.ems.v1.EmsSimulatorControl=127.0.0.1:{cls.ems_port}",
            ]
        )
        gateway_port = cls._start_process(
            "gateway",
            [
                str(cls.build_dir / "services/gateway/gateway"),
                "--http_port=0",
                f"--max_body_bytes={MAX_BODY_BYTES}",
                f"--backends={backends}",
            ],
        )
        cls.base_url = f"http://127.0.0.1:{gateway_port}"

    @classmethod
    def _load_demo_school(cls):
        result = subprocess.run(
            [
                sys.executable,
                str(DEMO_DIR / "load_demo.py"),
                f"--base-url={cls.base_url}",
                f"--operator-password-file={cls.operator_password_file}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"load_demo.py failed:\n{result.stderr}")
        cls.school_id = json.loads(result.stdout)["school"]["id"]

    @classmethod
    def tearDownClass(cls):
        for process in reversed(list(cls.processes.values())):
            process.terminate()
        for process in cls.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log_file in cls.log_files:
            log_file.close()
        cls._drop_databases()
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    @classmethod
    def _drop_databases(cls):
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is None:
            print(f"NOTE: no mariadb client found; databases {cls.databases} are left behind", file=sys.stderr)
            return
        environment = dict(os.environ, MYSQL_PWD=os.environ.get("MYSQL_PASSWORD", ""))
        for database in cls.databases:
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

    def run_loader(self, *arguments, timeout_seconds=LOADER_TIMEOUT_SECONDS):
        return subprocess.run(
            [
                sys.executable,
                str(DEMO_DIR / "load_roster.py"),
                f"--base-url={self.base_url}",
                f"--cache-dir={self.cache_dir}",
                f"--timeout={timeout_seconds}",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=timeout_seconds + 120,
            check=False,
        )

    def run_successful_loader(self):
        result = self.run_loader()
        self.assertEqual(result.returncode, 0, result.stderr + self.service_logs())
        return json.loads(result.stdout), result.stderr

    def service_logs(self):
        """Return the tail of every service log, for the message of a failed assertion."""
        tails = []
        for name in self.processes:
            lines = (self.work_dir / f"{name}.log").read_text(errors="replace").splitlines()
            tails.append(f"\n--- {name}.log (last 20 lines) ---\n" + "\n".join(lines[-20:]))
        return "".join(tails)

    def school_admin(self):
        session = load_demo.Session(self.base_url)
        session.login("school_admin", load_demo.DEMO_PASSWORD)
        return session

    def generate_roster(self, name, *arguments):
        path = self.work_dir / name
        subprocess.run(
            [sys.executable, str(DEMO_DIR / "generate_roster.py"), f"--output={path}", *arguments],
            capture_output=True,
            check=True,
        )
        return path

    def graduate_snapshot(self, usernames):
        """Return what the second run must leave unchanged: sync's first roster page and the
        accounts records of the demo graduates."""
        admin = self.school_admin()
        query = urllib.parse.urlencode({"pageSize": 100})
        roster_page = admin.request("GET", f"/v1/schools/{self.school_id}/classes/2022/graduates?{query}")
        logins = {username: load_roster.find_graduate_login(admin, self.school_id, username) for username in usernames}
        return roster_page, logins

    def wait_for_gateway_to_reach_ems(self):
        """Wait until the gateway's channel to the restarted simulator has reconnected; its
        reconnect backoff makes calls fail with 503 for a second or more."""
        ems = load_demo.Session(self.base_url)
        deadline = time.monotonic() + 60
        while True:
            try:
                ems.request("GET", "/v1/ems-simulator/stats")
                return
            except load_demo.ApiError as error:
                if error.status != 503 or time.monotonic() >= deadline:
                    raise
            time.sleep(0.2)

    def test_1_loads_roster_then_replays_unchanged(self):
        first, _ = self.run_successful_loader()
        roster = first["roster"]
        self.assertEqual(roster["rowsRead"], GRADUATE_COUNT)
        self.assertEqual(roster["inserted"], GRADUATE_COUNT)
        self.assertEqual(roster["graduatesListed"], GRADUATE_COUNT)
        self.assertEqual(roster["classYear"], 2022)
        cached = pathlib.Path(roster["file"])
        self.assertEqual(cached.parent, self.cache_dir)
        cached_mtime = cached.stat().st_mtime_ns

        logins = first["logins"]
        self.assertEqual(len(logins), 3)
        self.assertEqual([login["department"] for login in logins], load_roster.DEMO_DEPARTMENTS)
        for login in logins:
            with self.subTest(username=login["username"]):
                self.assertRegex(login["username"], r"^4111010001-\d{8,}$")
                self.assertEqual(login["password"], load_demo.DEMO_PASSWORD)
                self.assertTrue(login["name"])
                self.assertTrue(login["verified"])
                user = load_demo.Session(self.base_url).login(login["username"], login["password"])
                self.assertEqual(user["kind"], "PRINCIPAL_KIND_GRADUATE")
                self.assertEqual(user["schoolId"], self.school_id)
                self.assertTrue(user["graduateId"])

        usernames = [login["username"] for login in logins]
        before = self.graduate_snapshot(usernames)
        self.assertEqual(before[0]["totalSize"], GRADUATE_COUNT)

        second, second_log = self.run_successful_loader()
        self.assertEqual(second["logins"], logins)
        self.assertEqual(second["roster"]["file"], roster["file"])
        self.assertEqual(second["roster"]["inserted"], 0)
        self.assertEqual(second["roster"]["updated"], 0)
        self.assertEqual(second["roster"]["unchanged"], GRADUATE_COUNT)
        self.assertEqual(second["roster"]["graduatesListed"], GRADUATE_COUNT)
        self.assertEqual(second_log.count("is activated already"), 3)
        self.assertEqual(cached.stat().st_mtime_ns, cached_mtime)
        self.assertEqual(self.graduate_snapshot(usernames), before)

    def test_2_every_graduate_gets_a_login(self):
        admin = self.school_admin()
        query = urllib.parse.urlencode({"kind": "PRINCIPAL_KIND_GRADUATE", "pageSize": 1})
        deadline = time.monotonic() + 60
        total = 0
        while time.monotonic() < deadline:
            total = admin.request("GET", f"/v1/schools/{self.school_id}/users?{query}").get("totalSize", 0)
            if total >= GRADUATE_COUNT:
                break
            time.sleep(0.5)
        self.assertEqual(total, GRADUATE_COUNT)

    def test_3_ems_restart_uploads_again(self):
        # scripts/run starts a new EMS simulator every run, which has forgotten the roster while
        # sync's database still contains it. The simulator comes back on the same port, because
        # sync's --ems_address names it.
        simulator = self.processes["ems-simulator"]
        simulator.terminate()
        simulator.wait(timeout=15)
        self._start_ems_simulator(port=self.ems_port)
        self.wait_for_gateway_to_reach_ems()

        summary, _ = self.run_successful_loader()
        self.assertEqual(summary["roster"]["inserted"], GRADUATE_COUNT)
        self.assertEqual(summary["roster"]["graduatesListed"], GRADUATE_COUNT)
        for login in summary["logins"]:
            with self.subTest(username=login["username"]):
                self.assertTrue(login["verified"])

    def test_4_file_that_is_not_a_roster_fails(self):
        cases = {
            "notes.txt": "这不是毕业生名单\nhello,world\n".encode("utf-8"),
            "damaged.xlsx": b"PK\x03\x04" + b"\x00" * 64,
        }
        for name, content in cases.items():
            with self.subTest(file=name):
                path = self.work_dir / name
                path.write_bytes(content)
                result = self.run_loader(f"--roster-file={path}")
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertIn(f"uploading the roster file {path} to the EMS simulator failed", result.stderr)
                self.assertIn("HTTP 400", result.stderr)

    def test_5_row_errors_are_reported(self):
        # Another class and seed, so that the valid rows, which the simulator stores, do not
        # touch the class of 2022.
        path = self.generate_roster(
            "bad-rows.csv", "--count=16", "--bad-rows", "--class-year=2023", "--seed=7", "--format=csv-utf8"
        )
        result = self.run_loader(f"--roster-file={path}", "--class-year=2023")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertIn("rejected 3 rows", result.stderr)
        # generate_roster.py's --bad-rows rows for 16 graduates: 16 // 4 + 2, 16 // 2 + 2 and
        # 3 * 16 // 4 + 2.
        for row in (6, 10, 14):
            with self.subTest(row=row):
                self.assertRegex(result.stderr, rf"row {row}, ")

    def test_6_wait_times_out_when_sync_cannot_poll(self):
        ems = load_demo.Session(self.base_url)
        ems.request("POST", "/v1/ems-simulator/faults", {"down": True})
        try:
            path = self.generate_roster("class-2024.xlsx", "--count=10", "--class-year=2024", "--seed=11")
            started = time.monotonic()
            result = self.run_loader(f"--roster-file={path}", "--class-year=2024", timeout_seconds=3)
            elapsed = time.monotonic() - started
        finally:
            ems.request("POST", "/v1/ems-simulator/faults", {})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertIn("timed out after 3", result.stderr)
        self.assertRegex(result.stderr, r"sync lists \d+ of the 10 graduates of class 2024")
        self.assertLess(elapsed, 60)

    def test_7_usage_errors(self):
        result = self.run_loader("--class-year=2023")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--class-year needs --roster-file", result.stderr)

        result = self.run_loader(f"--roster-file={self.work_dir / 'missing.xlsx'}")
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing.xlsx", result.stderr)

    def test_choose_demo_graduates_skips_unfit_rows(self):
        def record(number, department, training_mode="1", name="王明"):
            return {"学号": number, "身份证号": "x", "姓名": name, "所在院系": department, "培养方式代码": training_mode}

        records = [
            record("1", "文学院", training_mode="21"),
            record("2", "计算机学院", name="𡐤明"),
            record("3", "哲学系"),
            record("4", "计算机学院"),
            record("5", "文学院"),
            record("6", "法学院"),
        ]
        chosen = [chosen["学号"] for chosen in load_roster.choose_demo_graduates(records)]
        self.assertEqual(chosen, ["5", "4", "3"])

        with self.assertRaises(RuntimeError):
            load_roster.choose_demo_graduates(records[:3])


if __name__ == "__main__":
    unittest.main(verbosity=2)
