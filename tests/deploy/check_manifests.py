"""Render the kustomize overlays of deploy/ and check what Kubernetes would run.

Each overlay is rendered with `kubectl kustomize` (no cluster needed) and parsed by a small
parser of the block-style YAML that kustomize prints, because Python's standard library has no
YAML parser and `kubectl create --dry-run=client` needs an API server. The checks:

  * every container has readiness, liveness and startup probes, requests and limits for CPU and
    memory, and a preStop hook;
  * gRPC containers use native gRPC probes on their gRPC port;
  * terminationGracePeriodSeconds covers the preStop sleep, DRAIN_DELAY_MS and SHUTDOWN_GRACE_MS
    of the ConfigMap (or SHUTDOWN_GRACE_SECONDS of the gateway);
  * every Service with a port named grpc is headless, and every gateway backend and every
    *_ADDRESS setting that names an in-cluster Service (sync's ACCOUNTS_ADDRESS) is a
    dns:///<service>.<namespace>.svc.cluster.local:<port> target of such a Service;
  * every setting that names files (an environment variable or flag ending in _FILE or _FILES)
    points at files that a volumeMount provides: a key of the mounted Secret or ConfigMap, or
    one of the volume's items; and the settings each process needs (accounts' keys and secret
    lists, sync's service secret) are set;
  * every Deployment has a ServiceAccount, a ConfigMap and a PodDisruptionBudget; every service
    folder under services/ (except the gateway and the ems-simulator) has a Deployment;
  * NetworkPolicies include a default deny of ingress and egress; only the gateway accepts
    traffic from any source;
  * dev has a MariaDB StatefulSet with a headless Service, a volume claim and a policy that
    admits only the gRPC services to it;
  * prod has no database, an HPA for the gateway, and two or more replicas of every Deployment.

Before the real overlays, the checks run on broken copies of a rendered overlay and must
report each defect, so a check that can no longer fail is caught too.
"""

import argparse
import copy
import json
import pathlib
import re
import subprocess
import sys

# ---------------------------------------------------------------------------------------------
# A parser for the YAML that kustomize prints: block mappings and sequences, plain and quoted
# scalars, literal and folded block scalars, and the empty flow collections {} and []. Anything
# else raises YamlError rather than being guessed at.


class YamlError(ValueError):
    pass


class _Line:
    def __init__(self, number, raw):
        self.number = number
        self.raw = raw
        self.text = raw.strip()
        self.indent = len(raw) - len(raw.lstrip(" "))
        # Blank and comment lines are skipped, except inside block scalars.
        self.skippable = self.text == "" or self.text.startswith("#")


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def _plain_scalar(text, number):
    if text in ("{}",):
        return {}
    if text in ("[]",):
        return []
    if text[:1] in ("{", "[", "&", "*", "!", "|", ">", "%", "@", "`"):
        raise YamlError(f"line {number}: unsupported YAML value {text!r}")
    if text in ("null", "~", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _quoted_scalar(text, number):
    """Parse a complete single- or double-quoted scalar; return (value, rest of line)."""
    quote = text[0]
    i = 1
    out = []
    while i < len(text):
        c = text[i]
        if quote == "'" and c == "'":
            if text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        if quote == '"' and c == "\\":
            escape = text[i + 1 : i + 2]
            simple = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "/": "/", "r": "\r", "0": "\0", " ": " "}
            if escape in simple:
                out.append(simple[escape])
                i += 2
                continue
            if escape == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            raise YamlError(f"line {number}: unsupported escape \\{escape}")
        if quote == '"' and c == '"':
            return "".join(out), text[i + 1 :]
        out.append(c)
        i += 1
    raise YamlError(f"line {number}: unterminated quoted scalar")


def _split_key(text, number):
    """Split 'key: value' into (key, value text); value text is '' for 'key:'."""
    if text[:1] in ("'", '"'):
        key, rest = _quoted_scalar(text, number)
        if not rest.startswith(":"):
            raise YamlError(f"line {number}: expected ':' after key")
        return key, rest[1:].strip()
    match = re.match(r"^([^:#]+?):(\s+(.*))?$", text)
    if not match:
        return None
    return match.group(1), (match.group(3) or "").strip()


class _Parser:
    def __init__(self, lines):
        self.lines = lines
        self.i = 0

    def peek(self):
        while self.i < len(self.lines) and self.lines[self.i].skippable:
            self.i += 1
        return self.lines[self.i] if self.i < len(self.lines) else None

    def parse_node(self, indent):
        line = self.peek()
        if line is None or line.indent < indent:
            return None
        if line.text == "-" or line.text.startswith("- "):
            return self.parse_sequence(line.indent)
        return self.parse_mapping(line.indent)

    def parse_value(self, value_text, parent_indent, number, allow_same_indent_sequence):
        """The value after 'key:' or '- ': inline scalar, block scalar or nested block."""
        if value_text == "" or value_text.startswith("#"):
            line = self.peek()
            if line is None:
                return None
            if line.indent > parent_indent:
                return self.parse_node(line.indent)
            if (
                allow_same_indent_sequence
                and line.indent == parent_indent
                and (line.text == "-" or line.text.startswith("- "))
            ):
                return self.parse_sequence(parent_indent)
            return None
        if value_text[0] in ("|", ">"):
            return self.parse_block_scalar(value_text, parent_indent, number)
        if value_text[0] in ("'", '"'):
            # A quoted scalar may go on over more lines, each line break read as a space, except
            # in a double-quoted scalar a line that ends in an unescaped backslash, whose break
            # is dropped.
            while True:
                try:
                    value, rest = _quoted_scalar(value_text, number)
                    break
                except YamlError:
                    following = self.continuation_line(parent_indent)
                    if following is None:
                        raise
                    trailing = len(value_text) - len(value_text.rstrip("\\"))
                    if value_text[0] == '"' and trailing % 2 == 1:
                        value_text = value_text[:-1] + following
                    else:
                        value_text += " " + following
            if rest.strip() and not rest.strip().startswith("#"):
                raise YamlError(f"line {number}: text after a quoted scalar")
            return value
        # A plain scalar goes on over the following lines indented deeper than its key (go-yaml
        # folds long strings at spaces this way).
        text = value_text.split(" #")[0].strip()
        while True:
            following = self.continuation_line(parent_indent)
            if following is None:
                break
            text += " " + following
        return _plain_scalar(text, number)

    def continuation_line(self, parent_indent):
        """The next line's text when it continues a scalar (indented deeper), else None."""
        if self.i >= len(self.lines):
            return None
        line = self.lines[self.i]
        if line.text == "" or line.indent <= parent_indent:
            return None
        self.i += 1
        return line.text

    def parse_block_scalar(self, header, parent_indent, number):
        if not re.match(r"^[|>][-+]?$", header):
            raise YamlError(f"line {number}: unsupported block scalar header {header!r}")
        folded = header[0] == ">"
        chomp = header[1:2]
        # The block is every following line that is blank or indented deeper than its key,
        # read raw, because blank lines and "#" belong to the text here.
        block = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.text != "" and line.indent <= parent_indent:
                break
            block.append(line)
            self.i += 1
        indents = [line.indent for line in block if line.text != ""]
        block_indent = min(indents) if indents else 0
        raw = [line.raw[block_indent:] if line.text != "" else "" for line in block]
        while raw and raw[-1] == "" and chomp != "+":
            raw.pop()
        text = " ".join(raw) if folded else "\n".join(raw)
        if chomp != "-" and raw:
            text += "\n"
        return text

    def parse_mapping(self, indent):
        result = {}
        while True:
            line = self.peek()
            if line is None or line.indent < indent:
                return result
            if line.indent > indent:
                raise YamlError(f"line {line.number}: unexpected indentation")
            if line.text == "-" or line.text.startswith("- "):
                return result
            split = _split_key(line.text, line.number)
            if split is None:
                raise YamlError(f"line {line.number}: expected 'key: value', got {line.text!r}")
            key, value_text = split
            self.i += 1
            if key in result:
                raise YamlError(f"line {line.number}: duplicate key {key!r}")
            result[key] = self.parse_value(value_text, indent, line.number, True)

    def parse_sequence(self, indent):
        result = []
        while True:
            line = self.peek()
            if line is None or line.indent != indent:
                return result
            if not (line.text == "-" or line.text.startswith("- ")):
                return result
            content = line.text[2:].strip() if line.text.startswith("- ") else ""
            if content == "" or content.startswith(("'", '"', "|", ">")) or _split_key(content, line.number) is None:
                self.i += 1
                result.append(self.parse_value(content, indent, line.number, False))
                continue
            # A mapping that starts on the dash line: the line is read again as the first
            # entry of a mapping at the item's indentation.
            item_indent = indent + (len(line.text) - len(line.text[1:].lstrip(" ")))
            self.lines[self.i] = _Line(line.number, " " * item_indent + content)
            result.append(self.parse_mapping(item_indent))


def parse_yaml_documents(text):
    """Parse every '---'-separated document of `text` into Python values."""
    documents = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.rstrip() == "---":
            documents.append([])
            continue
        documents[-1].append(_Line(number, raw))

    parsed = []
    for lines in documents:
        if all(line.skippable for line in lines):
            continue
        parser = _Parser(lines)
        value = parser.parse_node(parser.peek().indent)
        line = parser.peek()
        if line is not None:
            raise YamlError(f"line {line.number}: unexpected text {line.text!r}")
        parsed.append(value)
    return parsed


# ---------------------------------------------------------------------------------------------
# Checks. Each returns a list of failure messages; an empty list means the check passed.


def by_kind(objects, kind):
    return [o for o in objects if o.get("kind") == kind]


def find(objects, kind, name):
    for o in objects:
        if o.get("kind") == kind and o["metadata"]["name"] == name:
            return o
    return None


def workloads(objects):
    return by_kind(objects, "Deployment") + by_kind(objects, "StatefulSet")


def env_of(objects, workload, container):
    """The container's environment: its ConfigMaps (envFrom) and literal env values."""
    env = {}
    for source in container.get("envFrom", []) or []:
        ref = source.get("configMapRef")
        if ref:
            config_map = find(objects, "ConfigMap", ref["name"])
            if config_map:
                env.update(config_map.get("data", {}) or {})
    for item in container.get("env", []) or []:
        if "value" in item:
            env[item["name"]] = item["value"]
    return env


def prestop_seconds(container):
    command = (
        container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    )
    if len(command) == 2 and command[0] == "sleep":
        return int(command[1])
    return None


def check_containers(objects):
    failures = []
    for workload in workloads(objects):
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = workload["spec"]["template"]["spec"]
        for container in spec.get("containers", []):
            where = f"{name} container {container['name']}"
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe not in container:
                    failures.append(f"{where}: no {probe}")
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (resources.get(kind) or {}):
                        failures.append(f"{where}: no {resource} in resources.{kind}")
            if prestop_seconds(container) is None:
                failures.append(f"{where}: no preStop sleep hook")
    return failures


def grpc_port(container):
    for port in container.get("ports", []):
        if port.get("name") == "grpc":
            return port["containerPort"]
    return None


def check_grpc_probes(objects):
    failures = []
    for workload in by_kind(objects, "Deployment"):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            port = grpc_port(container)
            if port is None:
                continue
            where = f"Deployment/{workload['metadata']['name']}"
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                grpc = container.get(probe, {}).get("grpc")
                if not grpc or grpc.get("port") != port:
                    failures.append(f"{where}: {probe} is not a gRPC probe on port {port}")
    return failures


def check_termination_budget(objects):
    failures = []
    for workload in by_kind(objects, "Deployment"):
        spec = workload["spec"]["template"]["spec"]
        grace = spec.get("terminationGracePeriodSeconds", 30)
        for container in spec["containers"]:
            env = env_of(objects, workload, container)
            pre_stop = prestop_seconds(container) or 0
            if "DRAIN_DELAY_MS" in env or grpc_port(container) is not None:
                drain = int(env.get("DRAIN_DELAY_MS", 5000)) / 1000
                shutdown = int(env.get("SHUTDOWN_GRACE_MS", 10000)) / 1000
            else:
                drain = 0
                shutdown = int(env.get("SHUTDOWN_GRACE_SECONDS", 10))
            needed = pre_stop + drain + shutdown
            if grace < needed + 2:
                failures.append(
                    f"Deployment/{workload['metadata']['name']}: terminationGracePeriodSeconds "
                    f"{grace} does not cover preStop {pre_stop} s + drain {drain} s + "
                    f"shutdown {shutdown} s + 2 s"
                )
    return failures


def check_headless_grpc(objects, namespace):
    failures = []
    grpc_services = {}
    for service in by_kind(objects, "Service"):
        ports = {p.get("name"): p["port"] for p in service["spec"].get("ports", [])}
        if "grpc" in ports:
            if service["spec"].get("clusterIP") != "None":
                failures.append(f"Service/{service['metadata']['name']}: gRPC but not headless")
            grpc_services[service["metadata"]["name"]] = ports["grpc"]

    gateway = find(objects, "ConfigMap", "gateway")
    backends = (gateway or {}).get("data", {}).get("BACKENDS", "")
    if not backends:
        failures.append("ConfigMap/gateway: no BACKENDS")
    pattern = re.compile(r"^dns:///([a-z0-9-]+)\." + re.escape(namespace) + r"\.svc\.cluster\.local:([0-9]+)$")
    for entry in filter(None, backends.split(",")):
        service_name, _, target = entry.partition("=")
        match = pattern.match(target)
        if not match:
            failures.append(f"BACKENDS {service_name}: {target!r} is not a dns:/// target in {namespace}")
            continue
        host, port = match.group(1), int(match.group(2))
        if grpc_services.get(host) != port:
            failures.append(f"BACKENDS {service_name}: no headless Service {host} with gRPC port {port}")
    return failures


# Settings that name files and that a process cannot do without in a deployment.
REQUIRED_FILE_SETTINGS = {
    "accounts": ["TOKEN_PRIVATE_KEY_FILE", "SERVICE_SECRETS_FILE", "GRADUATE_IDENTITY_KEY_FILE"],
    "sync": ["SERVICE_SECRET_FILE"],
    "signing": ["SERVICE_SECRET_FILE", "AGREEMENT_KEY_FILE"],
}
# Addresses a process listens on, not addresses of other services.
LISTEN_ADDRESSES = ("GRPC_ADDRESS", "HTTP_ADDRESS", "METRICS_ADDRESS")


def file_settings(objects, workload, container):
    """(setting, path) for each file that an environment variable or flag ending in _FILE(S) names."""
    settings = []
    for key, value in sorted(env_of(objects, workload, container).items()):
        if key.endswith(("_FILE", "_FILES")):
            settings += [(key, path.strip()) for path in str(value).split(",") if path.strip()]
    for arg in (container.get("command") or []) + (container.get("args") or []):
        match = re.match(r"^--([a-z0-9_]+_files?)=(.*)$", str(arg))
        if match:
            settings += [(f"--{match.group(1)}", path.strip()) for path in match.group(2).split(",") if path.strip()]
    return settings


def volume_files(objects, volume):
    """The file names a volume provides, or None when they cannot be known (an emptyDir, say)."""
    for kind, source_key, name_key in (("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name")):
        source = volume.get(source_key)
        if source is None:
            continue
        if source.get("items"):
            return {item["path"] for item in source["items"]}
        found = find(objects, kind, source.get(name_key, ""))
        if found is None:
            return set()
        return set((found.get("data") or {}).keys()) | set((found.get("stringData") or {}).keys())
    return None


def check_file_settings(objects):
    failures = []
    for workload in by_kind(objects, "Deployment"):
        name = workload["metadata"]["name"]
        spec = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec.get("volumes", []) or []}
        for container in spec["containers"]:
            where = f"Deployment/{name}"
            settings = file_settings(objects, workload, container)
            for required in REQUIRED_FILE_SETTINGS.get(name, []):
                if required not in {setting for setting, _ in settings}:
                    failures.append(f"{where}: does not set {required}")
            for setting, path in settings:
                mounts = [
                    m for m in container.get("volumeMounts", []) or []
                    if path.startswith(m["mountPath"].rstrip("/") + "/")
                ]
                if not mounts:
                    failures.append(f"{where}: {setting} names {path}, which is not under any volumeMount")
                    continue
                mount = max(mounts, key=lambda m: len(m["mountPath"]))
                relative = path[len(mount["mountPath"].rstrip("/")) + 1:]
                volume = volumes.get(mount["name"])
                if volume is None:
                    failures.append(f"{where}: volumeMount {mount['name']} has no volume")
                    continue
                provided = volume_files(objects, volume)
                if provided is not None and relative not in provided:
                    failures.append(
                        f"{where}: {setting} names {path}, but volume {mount['name']} provides only {sorted(provided)}"
                    )
    return failures


def check_service_addresses(objects, namespace):
    failures = []
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    pattern = re.compile(r"^dns:///([a-z0-9-]+)\." + re.escape(namespace) + r"\.svc\.cluster\.local:([0-9]+)$")
    for config_map in by_kind(objects, "ConfigMap"):
        for key, value in sorted((config_map.get("data") or {}).items()):
            if not key.endswith("_ADDRESS") or key in LISTEN_ADDRESSES:
                continue
            host = re.sub(r"^dns:///", "", str(value)).split(":")[0].split(".")[0]
            if host not in services:
                continue  # outside the cluster, such as the EMS
            where = f"ConfigMap/{config_map['metadata']['name']} {key}"
            match = pattern.match(str(value))
            if not match:
                failures.append(f"{where}: {value!r} is not a dns:/// target in {namespace}")
                continue
            service = services[match.group(1)]
            ports = {p.get("name"): p["port"] for p in service["spec"].get("ports", [])}
            if service["spec"].get("clusterIP") != "None" or ports.get("grpc") != int(match.group(2)):
                failures.append(f"{where}: no headless Service {match.group(1)} with gRPC port {match.group(2)}")
    return failures


def check_companions(objects, source_dir):
    failures = []
    for workload in by_kind(objects, "Deployment"):
        name = workload["metadata"]["name"]
        spec = workload["spec"]["template"]["spec"]
        account = spec.get("serviceAccountName")
        if not account or not find(objects, "ServiceAccount", account):
            failures.append(f"Deployment/{name}: no ServiceAccount")
        if not find(objects, "ConfigMap", name):
            failures.append(f"Deployment/{name}: no ConfigMap named {name}")
        labels = workload["spec"]["selector"]["matchLabels"]
        budgets = [
            p for p in by_kind(objects, "PodDisruptionBudget")
            if p["spec"]["selector"].get("matchLabels") == labels
        ]
        if not budgets:
            failures.append(f"Deployment/{name}: no PodDisruptionBudget selects {labels}")
    deployed = {w["metadata"]["name"] for w in by_kind(objects, "Deployment")}
    for folder in sorted(pathlib.Path(source_dir, "services").iterdir()):
        if folder.is_dir() and folder.name not in deployed and (folder / "main.cc").exists():
            failures.append(f"services/{folder.name} has no Deployment")
    return failures


def check_network_policies(objects):
    failures = []
    policies = by_kind(objects, "NetworkPolicy")
    default_deny = [
        p for p in policies
        if p["spec"].get("podSelector") == {}
        and sorted(p["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not default_deny:
        failures.append("no NetworkPolicy denies all ingress and egress by default")
    for policy in policies:
        for rule in policy["spec"].get("ingress", []) or []:
            if "from" not in rule and policy["spec"]["podSelector"].get("matchLabels") != {"quxiang.org/tier": "edge"}:
                failures.append(f"NetworkPolicy/{policy['metadata']['name']}: admits any source to non-gateway pods")
    return failures


def check_dev(objects):
    failures = []
    database = find(objects, "StatefulSet", "mariadb")
    if not database:
        return ["no StatefulSet mariadb"]
    if not database["spec"].get("volumeClaimTemplates"):
        failures.append("StatefulSet mariadb has no volumeClaimTemplates")
    service = find(objects, "Service", database["spec"].get("serviceName", ""))
    if not service or service["spec"].get("clusterIP") != "None":
        failures.append("the StatefulSet's Service is missing or not headless")
    admitted = []
    for policy in by_kind(objects, "NetworkPolicy"):
        if policy["spec"]["podSelector"].get("matchLabels") == {"quxiang.org/tier": "database"}:
            for rule in policy["spec"].get("ingress", []) or []:
                admitted.extend(rule.get("from", [{"any": True}]))
    if admitted != [{"podSelector": {"matchLabels": {"quxiang.org/tier": "backend"}}}]:
        failures.append(f"the database admits {admitted}, expected only the gRPC services")
    secret = find(objects, "Secret", "quxiang-db")
    host = ((secret or {}).get("stringData") or {}).get("host", "")
    if not host.startswith(f"{service['metadata']['name'] if service else '?'}."):
        failures.append(f"quxiang-db host {host!r} is not the MariaDB Service")
    return failures


def check_prod(objects):
    failures = []
    if by_kind(objects, "StatefulSet"):
        failures.append("runs a StatefulSet; the database is external")
    autoscaled = {}
    for hpa in by_kind(objects, "HorizontalPodAutoscaler"):
        autoscaled[hpa["spec"]["scaleTargetRef"]["name"]] = hpa["spec"].get("minReplicas", 1)
    if "gateway" not in autoscaled:
        failures.append("no HorizontalPodAutoscaler for the gateway")
    for workload in by_kind(objects, "Deployment"):
        name = workload["metadata"]["name"]
        replicas = autoscaled.get(name, workload["spec"].get("replicas", 1))
        if replicas < 2:
            failures.append(f"Deployment/{name} runs {replicas} replica(s)")
        if name in autoscaled and "replicas" in workload["spec"]:
            failures.append(f"Deployment/{name} sets replicas and has an HPA")
    return failures


def run_checks(objects, overlay, namespace, source_dir):
    failures = []
    failures += check_containers(objects)
    failures += check_grpc_probes(objects)
    failures += check_termination_budget(objects)
    failures += check_headless_grpc(objects, namespace)
    failures += check_service_addresses(objects, namespace)
    failures += check_file_settings(objects)
    failures += check_companions(objects, source_dir)
    failures += check_network_policies(objects)
    if overlay == "dev":
        failures += check_dev(objects)
    if overlay == "prod":
        failures += check_prod(objects)
    return failures


# ---------------------------------------------------------------------------------------------
# Broken copies that the checks must reject.


def _container(objects, name):
    return find(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def _mutations():
    def drop_probe(objects):
        del _container(objects, "accounts")["readinessProbe"]

    def drop_limits(objects):
        del _container(objects, "warning")["resources"]["limits"]

    def drop_prestop(objects):
        del _container(objects, "gateway")["lifecycle"]

    def tcp_probe(objects):
        _container(objects, "accounts")["livenessProbe"] = {"tcpSocket": {"port": 50051}}

    def short_grace(objects):
        find(objects, "Deployment", "accounts")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10

    def cluster_ip(objects):
        del find(objects, "Service", "warning")["spec"]["clusterIP"]

    def plain_target(objects):
        data = find(objects, "ConfigMap", "gateway")["data"]
        data["BACKENDS"] = data["BACKENDS"].replace("dns:///accounts.quxiang.svc.cluster.local", "accounts")

    def no_default_deny(objects):
        objects[:] = [o for o in objects if not (o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "default-deny")]

    def no_budget(objects):
        objects[:] = [o for o in objects if not (o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == "warning")]

    def open_backend(objects):
        find(objects, "NetworkPolicy", "grpc-ingress")["spec"]["ingress"][0].pop("from")

    def unmounted_file(objects):
        container = _container(objects, "accounts")
        container["volumeMounts"] = [m for m in container["volumeMounts"] if m["name"] != "graduate-identity"]

    def missing_item(objects):
        find(objects, "ConfigMap", "sync")["data"]["SERVICE_SECRET_FILE"] = "/run/secrets/service/accounts-list"

    def missing_setting(objects):
        del find(objects, "ConfigMap", "accounts")["data"]["GRADUATE_IDENTITY_KEY_FILE"]

    def plain_address(objects):
        find(objects, "ConfigMap", "sync")["data"]["ACCOUNTS_ADDRESS"] = "accounts.quxiang.svc.cluster.local:50051"

    return [
        ("file setting outside any mount", unmounted_file, "GRADUATE_IDENTITY_KEY_FILE names /run/secrets/graduate-identity/key, which is not under any volumeMount"),
        ("file setting naming an absent file", missing_item, "SERVICE_SECRET_FILE names /run/secrets/service/accounts-list, but volume service provides only"),
        ("required file setting missing", missing_setting, "Deployment/accounts: does not set GRADUATE_IDENTITY_KEY_FILE"),
        ("in-cluster address without dns:///", plain_address, "ConfigMap/sync ACCOUNTS_ADDRESS: 'accounts.quxiang.svc.cluster.local:50051' is not a dns:/// target"),
        ("missing readiness probe", drop_probe, "no readinessProbe"),
        ("missing limits", drop_limits, "no cpu in resources.limits"),
        ("missing preStop", drop_prestop, "no preStop sleep hook"),
        ("TCP liveness probe", tcp_probe, "livenessProbe is not a gRPC probe"),
        ("short grace period", short_grace, "does not cover preStop"),
        ("gRPC Service with a cluster IP", cluster_ip, "gRPC but not headless"),
        ("backend without dns:///", plain_target, "is not a dns:/// target"),
        ("no default deny", no_default_deny, "denies all ingress and egress"),
        ("no disruption budget", no_budget, "no PodDisruptionBudget"),
        ("backend open to any source", open_backend, "admits any source"),
    ]


def self_test(objects, namespace, source_dir):
    """Return failures when a broken copy is not rejected with the expected message."""
    failures = []
    baseline = run_checks(objects, "dev", namespace, source_dir)
    if baseline:
        return []  # the real run reports these
    for label, mutate, expected in _mutations():
        broken = copy.deepcopy(objects)
        mutate(broken)
        reported = run_checks(broken, "dev", namespace, source_dir)
        if not any(expected in message for message in reported):
            failures.append(f"self-test {label}: expected a failure containing {expected!r}, got {reported}")
    return failures


def parser_self_test():
    """Check the YAML parser on the constructs kustomize prints, including hard ones."""
    sample = (
        "a: 1\n"
        "b: '0.10'\n"
        "c: \"x\\ny\"\n"
        "d:\n"
        "- name: n\n"
        "  value: v\n"
        "- plain\n"
        "e: {}\n"
        "f: |\n"
        "  line one\n"
        "\n"
        "  line two\n"
        "g: 'it''s'\n"
        "h:\n"
        "  - nested: true\n"
        "    list:\n"
        "    - 1\n"
        "i: null\n"
        "j: a long plain\n"
        "  value\n"
        "k: 'a long quoted\n"
        "  value'\n"
        "l: \"joined\\\n"
        "  \\ here\\n\"\n"
        "---\n"
        "kind: Second\n"
    )
    expected = [
        {
            "a": 1,
            "b": "0.10",
            "c": "x\ny",
            "d": [{"name": "n", "value": "v"}, "plain"],
            "e": {},
            "f": "line one\n\nline two\n",
            "g": "it's",
            "h": [{"nested": True, "list": [1]}],
            "i": None,
            "j": "a long plain value",
            "k": "a long quoted value",
            "l": "joined here\n",
        },
        {"kind": "Second"},
    ]
    failures = []
    got = parse_yaml_documents(sample)
    if got != expected:
        failures.append(f"YAML parser: got {json.dumps(got)}, expected {json.dumps(expected)}")
    for bad in ("a: [1, 2]\n", "a: 1\na: 2\n", "a: 'open\n", "a: &anchor x\n"):
        try:
            parse_yaml_documents(bad)
            failures.append(f"YAML parser accepted unsupported input {bad!r}")
        except YamlError:
            pass
    return failures


def render(kubectl, directory):
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{kubectl} kustomize {directory} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubectl", default="kubectl", help="kubectl executable (any version from 1.20 on)")
    parser.add_argument("--source-dir", required=True, help="repository root")
    parser.add_argument("--namespace", default="quxiang")
    parser.add_argument("overlays", nargs="+", help="overlay names under deploy/overlays")
    args = parser.parse_args()

    failures = parser_self_test()
    checks = 1
    rendered = {}
    for overlay in args.overlays:
        checks += 1
        try:
            rendered[overlay] = parse_yaml_documents(render(args.kubectl, pathlib.Path(args.source_dir, "deploy", "overlays", overlay)))
        except (RuntimeError, YamlError) as error:
            failures.append(f"{overlay}: {error}")

    for overlay, objects in rendered.items():
        for message in run_checks(objects, overlay, args.namespace, args.source_dir):
            failures.append(f"{overlay}: {message}")
        checks += 1
    if "dev" in rendered:
        failures += self_test(rendered["dev"], args.namespace, args.source_dir)
        checks += len(_mutations())

    for failure in failures:
        print(f"FAILED {failure}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
