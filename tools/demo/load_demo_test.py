#!/usr/bin/env python3
"""End-to-end test of load_demo.py against the real accounts service and gateway.

Starts both binaries from QUXIANG_BUILD_DIR on free loopback ports, with a fresh database on
the MariaDB or MySQL server named by MYSQL_HOST, MYSQL_PORT, MYSQL_USER and MYSQL_PASSWORD
(scripts/test exports them), and a token key pair of its own.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import load_demo  # noqa: E402  (imported after the path change on purpose)

LOADER = pathlib.Path(__file__).resolve().parent / "load_demo.py"
START_TIMEOUT_SECONDS = 60


def wait_for_port_file(process, path, log_path):
    """Return the port a process wrote to `path`; fail when it exits first or times out."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip().isdigit():
            return int(path.read_text().strip())
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{log_path.read_text()}")
        time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} wrote no port file within {START_TIMEOUT_SECONDS} s")


class DemoLoaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for variable in ("QUXIANG_BUILD_DIR", "MYSQL_HOST"):
            if not os.environ.get(variable):
                raise RuntimeError(f"{variable} is not set; run this test through scripts/test")
        build_dir = pathlib.Path(os.environ["QUXIANG_BUILD_DIR"])

        cls.work_dir = pathlib.Path(tempfile.mkdtemp(prefix="quxiang-demo-test-"))
        cls.processes = []
        cls.log_files = []
        cls.database = f"quxiang_demo_test_{os.getpid()}_{int(time.time())}"
        try:
            cls._start(build_dir)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls, build_dir):
        private_key = cls.work_dir / "token-private.pem"
        public_key = cls.work_dir / "token-public.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(private_key)], check=True)
        subprocess.run(["openssl", "pkey", "-in", str(private_key), "-pubout", "-out", str(public_key)], check=True)
        cls.operator_password_file = cls.work_dir / "operator-password"
        cls.operator_password_file.write_text("Op-Test-2024x")

        accounts_log = cls.work_dir / "accounts.log"
        cls.log_files.append(accounts_log.open("w"))
        accounts = subprocess.Popen(
            [
                str(build_dir / "services/accounts/accounts"),
                "--grpc_port=0",
                f"--port_file={cls.work_dir / 'accounts.port'}",
                f"--token_public_key_files={public_key}",
                f"--token_private_key_file={private_key}",
                f"--operator_password_file={cls.operator_password_file}",
                f"--mysql_database={cls.database}",
                "--drain_delay_ms=0",
            ],
            stdout=cls.log_files[-1],
            stderr=subprocess.STDOUT,
        )
        cls.processes.append(accounts)
        accounts_port = wait_for_port_file(accounts, cls.work_dir / "accounts.port", accounts_log)

        gateway_log = cls.work_dir / "gateway.log"
        cls.log_files.append(gateway_log.open("w"))
        gateway = subprocess.Popen(
            [
                str(build_dir / "services/gateway/gateway"),
                "--http_port=0",
                f"--port_file={cls.work_dir / 'gateway.port'}",
                f"--backends=quxiang.accounts.v1.AccountsService=127.0.0.1:{accounts_port}",
            ],
            stdout=cls.log_files[-1],
            stderr=subprocess.STDOUT,
        )
        cls.processes.append(gateway)
        cls.base_url = f"http://127.0.0.1:{wait_for_port_file(gateway, cls.work_dir / 'gateway.port', gateway_log)}"

    @classmethod
    def tearDownClass(cls):
        for process in reversed(cls.processes):
            process.terminate()
        for process in cls.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log_file in cls.log_files:
            log_file.close()
        cls._drop_database()
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    @classmethod
    def _drop_database(cls):
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is None:
            print(f"NOTE: no mariadb client found; database {cls.database} is left behind", file=sys.stderr)
            return
        environment = dict(os.environ, MYSQL_PWD=os.environ.get("MYSQL_PASSWORD", ""))
        subprocess.run(
            [
                client,
                "--no-defaults",
                f"--host={os.environ['MYSQL_HOST']}",
                f"--port={os.environ.get('MYSQL_PORT', '3306')}",
                f"--user={os.environ.get('MYSQL_USER', 'root')}",
                "-e",
                f"DROP DATABASE IF EXISTS `{cls.database}`",
            ],
            env=environment,
            check=False,
        )

    def run_loader(self, password_file=None, base_url=None):
        return subprocess.run(
            [
                sys.executable,
                str(LOADER),
                f"--base-url={base_url or self.base_url}",
                f"--operator-password-file={password_file or self.operator_password_file}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_loads_then_replays_unchanged(self):
        first = self.run_loader()
        self.assertEqual(first.returncode, 0, first.stderr)
        second = self.run_loader()
        self.assertEqual(second.returncode, 0, second.stderr)

        summary = json.loads(first.stdout)
        self.assertEqual(json.loads(second.stdout), summary)
        self.assertEqual(summary["province"]["code"], "11")
        self.assertEqual(sorted(summary["province"]["enabledModules"]), sorted(load_demo.ALL_MODULES))
        self.assertEqual(summary["province"]["agreementType"], "AGREEMENT_TYPE_THREE_PARTY")
        self.assertEqual(summary["school"]["code"], "4111010001")
        self.assertEqual(summary["school"]["name"], "京华大学")
        self.assertEqual(sorted(summary["departments"]), sorted(load_demo.DEPARTMENTS))

        usernames = [login["username"] for login in summary["logins"]]
        self.assertEqual(usernames, ["operator", "school_admin", "school_viewer", "dept_wenxue", "dept_jisuanji"])
        for login in summary["logins"]:
            with self.subTest(username=login["username"]):
                self.assertTrue(login["verified"])
                self.assertTrue(login["role"])

    def test_department_accounts_get_grants(self):
        result = self.run_loader()
        self.assertEqual(result.returncode, 0, result.stderr)
        school_id = json.loads(result.stdout)["school"]["id"]

        admin = load_demo.Session(self.base_url)
        admin.login("school_admin", load_demo.DEMO_PASSWORD)
        expected = {
            "dept_wenxue": ("文学院", "ACCESS_READ_WRITE"),
            "dept_jisuanji": ("计算机学院", "ACCESS_READ_ONLY"),
        }
        for username, (department, access) in expected.items():
            with self.subTest(username=username):
                user = load_demo.find_user(admin, school_id, username)
                self.assertIsNotNone(user)
                self.assertEqual(user["kind"], "PRINCIPAL_KIND_DEPARTMENT")
                self.assertEqual(user["departmentName"], department)
                grants = {grant["module"]: grant["access"] for grant in user["grants"]}
                self.assertEqual(grants.get("MODULE_EMPLOYMENT"), access)

    def test_school_viewer_is_read_only(self):
        result = self.run_loader()
        self.assertEqual(result.returncode, 0, result.stderr)
        school_id = json.loads(result.stdout)["school"]["id"]

        viewer = load_demo.Session(self.base_url)
        viewer.login("school_viewer", load_demo.DEMO_PASSWORD)
        query = urllib.parse.urlencode({"pageSize": 100})
        self.assertGreaterEqual(len(viewer.request("GET", f"/v1/schools/{school_id}/users?{query}")["users"]), 4)
        with self.assertRaises(load_demo.ApiError) as raised:
            viewer.request(
                "POST",
                f"/v1/schools/{school_id}/departments:upsert",
                {"requestId": "viewer-write", "schoolId": school_id, "names": ["不应出现的院系"]},
            )
        self.assertEqual(raised.exception.status, 403)

    def test_wrong_operator_password_fails(self):
        wrong = self.work_dir / "wrong-password"
        wrong.write_text("Wrong-Password-1")
        result = self.run_loader(password_file=wrong)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("HTTP 401", result.stderr)
        self.assertNotIn("Wrong-Password-1", result.stderr)

    def test_unreachable_gateway_fails(self):
        result = self.run_loader(base_url="http://127.0.0.1:1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot reach the gateway", result.stderr)

    def test_missing_password_file_fails(self):
        result = self.run_loader(password_file=self.work_dir / "does-not-exist")
        self.assertEqual(result.returncode, 1)
        self.assertIn("does-not-exist", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
