"""Print the table of bench/run from its results file.

    python3 bench/stack_report.py RESULTS

RESULTS contains the lines that bench/run collected: "RESULT name=... key=value ..." from
stack_bench and the import, "MEMORY phase=... process=... rss_kb=... hwm_kb=..." and
"INFO key=value". Every operation line shows its ratio to the baseline measured in the same run,
the target of that ratio and whether it is met. A value that the results lack is printed as
MISSING, and the script then exits with status 1, so that the smoke test catches a line that
lost its value.
"""

import collections
import sys

MISSING = "MISSING"


def parse(path):
    """Return ({(name, concurrency): {key: value}}, [memory dicts], {info key: value})."""
    results = {}
    memory = []
    info = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("INFO "):
                key, _, value = line[5:].partition("=")
                info[key] = value
                continue
            kind, _, rest = line.partition(" ")
            fields = dict(part.split("=", 1) for part in rest.split() if "=" in part)
            if kind == "RESULT":
                results[(fields["name"], int(fields["concurrency"]))] = fields
            elif kind == "MEMORY":
                memory.append(fields)
    return results, memory, info


class Table:
    """The rows of the printed table; each cell is text, MISSING when a value was absent."""

    def __init__(self, results):
        self.results = results
        self.rows = []
        self.missing = 0

    def value(self, name, concurrency, key):
        """Return the float `key` of a result, or None when absent."""
        fields = self.results.get((name, concurrency))
        if fields is None or key not in fields:
            return None
        try:
            return float(fields[key])
        except ValueError:
            return None

    def cell(self, number, fmt):
        if number is None:
            self.missing += 1
            return MISSING
        # Counter differences net of the reads' own cost can come out a hair below zero.
        if -0.05 < number <= 0:
            number = 0.0
        return fmt.format(number)

    def add(self, label, name, concurrency, baseline_text, ratio, target_text, met, per_request=True):
        """Add a row for result (name, concurrency) with its ratio, target and verdict."""
        v = lambda key: self.value(name, concurrency, key)  # noqa: E731  (a short accessor)
        row = [
            label,
            str(concurrency),
            self.cell(v("requests"), "{:.0f}"),
            self.cell(v("errors"), "{:.0f}"),
            self.cell(v("rps"), "{:.1f}"),
            self.cell(v("p50_ms"), "{:.2f}"),
            self.cell(v("p99_ms"), "{:.2f}"),
            self.cell(v("statements"), "{:.1f}") if per_request else "",
            self.cell(v("rows_examined"), "{:.1f}") if per_request else "",
            baseline_text,
            self.cell(ratio, "{:.2f}") if ratio is not None or baseline_text else "",
            target_text,
            met,
        ]
        self.rows.append(row)

    def print(self):
        header = ["operation", "c", "requests", "errors", "req/s", "p50 ms", "p99 ms", "SQL/req", "rows exam./req",
                  "baseline", "ratio", "target", "met"]
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i in (0, 9, 11, 12) else "---:" for i in range(len(header))) + "|")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")

    def note(self, label, concurrency, baseline_text, value, fmt, target_text, met, requests=""):
        """Add a row that has only a derived value, in the ratio column."""
        self.rows.append([label, str(concurrency), requests, "", "", "", "", "", "", baseline_text,
                          self.cell(value, fmt), target_text, met])


def harmonic(x, y):
    """H(x, y) = 1 / (1/x + 1/y): the throughput bound of two stages sharing the same cores."""
    if not x or not y:
        return None
    return 1.0 / (1.0 / x + 1.0 / y)


def verdict(ratio, limit, at_most=True):
    if ratio is None:
        return MISSING
    ok = ratio <= limit if at_most else ratio >= limit
    return "met" if ok else "not met"


def divide(a, b):
    if a is None or not b:
        return None
    return a / b


def add_baselines(t):
    for c in (1, 32):
        t.add("E_grpc: bare gRPC echo", "echo_grpc", c, "", None, "baseline", "")
        t.add("E_gw: echo through the gateway", "echo_gateway", c, "E_grpc p50",
              divide(t.value("echo_gateway", c, "p50_ms"), t.value("echo_grpc", c, "p50_ms")), "baseline", "")
        t.add("S_list: page 1 SQL, direct", "sql_list_first", c, "", None, "baseline", "")
        t.add("S_list: last page SQL, direct", "sql_list_last", c, "S_list page 1 p50",
              divide(t.value("sql_list_last", c, "p50_ms"), t.value("sql_list_first", c, "p50_ms")), "baseline", "")
        t.add("S_pk: graduate by id, direct", "sql_pk", c, "", None, "baseline", "")
        t.add("S_txn: approve SQL, direct", "sql_approve", c, "", None, "baseline", "")
    t.add("A_agg: statistics GROUP BY, direct", "sql_aggregate", 1, "", None, "baseline", "", per_request=False)
    t.note("L_ins: roster multi-row INSERT, seconds", 1, "", t.value("roster_insert", 1, "seconds"), "{:.2f} s",
           "baseline", "", requests=t.cell(t.value("roster_insert", 1, "requests"), "{:.0f} rows"))


def add_list(t, page_name, sql_name, label):
    v = t.value
    # c=1: p50 against the sum of the two baselines' p50, and p99 against twice that sum.
    bound = None
    if v("echo_gateway", 1, "p50_ms") is not None and v(sql_name, 1, "p50_ms") is not None:
        bound = v("echo_gateway", 1, "p50_ms") + v(sql_name, 1, "p50_ms")
    ratio = divide(v(page_name, 1, "p50_ms"), bound)
    limit = (bound + 0.3) / bound if bound else None
    t.add(f"(a) {label}", page_name, 1, "p50 of E_gw + S_list", ratio,
          f"≤ {limit:.2f} (+0.3 ms)" if limit else MISSING, verdict(ratio, limit) if limit else MISSING)
    p99_ratio = divide(v(page_name, 1, "p99_ms"), bound)
    t.note(f"(a) {label}: p99", 1, "p50 of E_gw + S_list", p99_ratio, "{:.2f}", "≤ 2.00", verdict(p99_ratio, 2.0))
    h = harmonic(v("echo_gateway", 32, "rps"), v(sql_name, 32, "rps"))
    ratio = divide(v(page_name, 32, "rps"), h)
    t.add(f"(a) {label}", page_name, 32, "req/s H(E_gw, S_list)", ratio, "≥ 0.80", verdict(ratio, 0.8, at_most=False))


def add_list_checks(t):
    v = t.value
    depth = divide(v("list_last", 1, "p50_ms"), v("list_first", 1, "p50_ms"))
    t.note("(a) depth: last page p50 / page 1 p50", 1, "list page 1", depth, "{:.2f}", "≤ 1.50", verdict(depth, 1.5))
    for name, label in (("list_first", "page 1"), ("list_last", "last page")):
        statements = v(name, 1, "statements")
        rows = v(name, 1, "rows_examined")
        t.note(f"(a) {label}: SQL statements per request", 1, "", statements, "{:.1f}", "≤ 2", verdict(statements, 2.0))
        t.note(f"(a) {label}: rows examined per request", 1, "", rows, "{:.1f}", "≤ 21 (page + 1)",
               verdict(rows, 21.0))


def sum_of(t, name, concurrency, keys):
    values = [t.value(name, concurrency, key) for key in keys]
    return None if any(value is None for value in values) else sum(values)


def add_approve(t, results):
    v = t.value
    bound = None
    if v("sql_approve", 1, "p50_ms") is not None and v("echo_gateway", 1, "p50_ms") is not None:
        bound = v("sql_approve", 1, "p50_ms") + v("echo_gateway", 1, "p50_ms")
    ratio = divide(v("approve", 1, "p50_ms"), bound)
    limit = (bound + 0.5) / bound if bound else None
    t.add("(b) approve + audit + outbox", "approve", 1, "p50 of S_txn + E_gw", ratio,
          f"≤ {limit:.2f} (+0.5 ms)" if limit else MISSING, verdict(ratio, limit) if limit else MISSING)
    h = harmonic(v("echo_gateway", 32, "rps"), v("sql_approve", 32, "rps"))
    ratio = divide(v("approve", 32, "rps"), h)
    t.add("(b) approve + audit + outbox", "approve", 32, "req/s H(E_gw, S_txn)", ratio, "≥ 0.70",
          verdict(ratio, 0.7, at_most=False))
    for c, limit, text in ((1, 1.0, "≤ 1"), (32, 0.5, "≤ 0.5 (group commit)")):
        fsyncs = sum_of(t, "approve", c, ("log_fsyncs", "data_fsyncs"))
        t.note("(b) InnoDB fsyncs per approval (os_log + data)", c, "", fsyncs, "{:.2f}", text, verdict(fsyncs, limit))
        baseline = sum_of(t, "sql_approve", c, ("log_fsyncs", "data_fsyncs"))
        t.note("(b) InnoDB fsyncs per S_txn, for comparison", c, "", baseline, "{:.2f}", "", "")
        t.note("(b) commits per approval (Binlog_commits)", c, "", v("approve", c, "binlog_commits"), "{:.2f}", "", "")
        t.note("(b) binlog group commits per approval (one binlog fsync each)", c, "",
               v("approve", c, "binlog_group_commits"), "{:.2f}", "", "")
    rows = results.get(("approve_rows", 1), {})
    approved = float(rows["requests"]) if "requests" in rows else None
    for key, label in (("outbox", "sync outbox rows"), ("audit", "signing audit rows")):
        count = float(rows[key]) if key in rows else None
        ratio = divide(count, approved)
        t.note(f"(b) {label} per approval through the API", "", "approvals", ratio, "{:.2f}", "= 1.00",
               verdict(abs(ratio - 1.0) if ratio is not None else None, 0.0), requests=t.cell(approved, "{:.0f}"))


def add_import(t):
    v = t.value
    ratio = divide(v("roster_import", 1, "seconds"), v("roster_insert", 1, "seconds"))
    t.note(f"(c) roster import end to end: {t.cell(v('roster_import', 1, 'seconds'), '{:.2f}')} s", 1,
           "L_ins seconds", ratio, "{:.2f}", "≤ 1.50", verdict(ratio, 1.5),
           requests=t.cell(v("roster_import", 1, "requests"), "{:.0f} rows"))


def add_statistics(t, info):
    v = t.value
    for c in (1, 32):
        bound = None
        if v("echo_gateway", c, "p95_ms") is not None and v("sql_pk", c, "p95_ms") is not None:
            bound = v("echo_gateway", c, "p95_ms") + v("sql_pk", c, "p95_ms")
        for name, label in (("stats_small", f"at {info.get('stage1', '?')} graduates"),
                            ("stats_large", f"at {info.get('graduates', '?')} graduates")):
            ratio = divide(v(name, c, "p95_ms"), bound)
            t.add(f"(d) statistics {label}", name, c, "p95 of E_gw + S_pk", ratio, "≤ 1.50", verdict(ratio, 1.5))
        flat = divide(v("stats_large", c, "p95_ms"), v("stats_small", c, "p95_ms"))
        t.note("(d) statistics: p95 large / p95 small", c, "statistics, small", flat, "{:.2f}", "≤ 1.20",
               verdict(flat, 1.2))
    agg = divide(v("sql_aggregate", 1, "p50_ms"), v("stats_large", 1, "p50_ms"))
    t.note("(d) A_agg p50 / statistics read p50", 1, "statistics, large", agg, "{:.0f}", "no target", "")


def add_login(t):
    v = t.value
    for c in (1, 32):
        ratio = divide(v("login", c, "p50_ms"), v("echo_gateway", c, "p50_ms"))
        t.add("(e) login", "login", c, "E_gw p50", ratio, "no target in the protocol", "")


def print_memory(memory):
    by_process = collections.OrderedDict()
    for entry in memory:
        by_process.setdefault(entry["process"], {})[entry["phase"]] = entry
    print()
    print("| process | RSS idle (MiB) | peak RSS, VmHWM, after the load (MiB) |")
    print("|---|---:|---:|")
    missing = 0
    for process in sorted(by_process):
        phases = by_process[process]
        idle = phases.get("idle", {}).get("rss_kb")
        peak = phases.get("load", {}).get("hwm_kb")
        cells = []
        for value in (idle, peak):
            if value is None or not value.isdigit():
                cells.append(MISSING)
                missing += 1
            else:
                cells.append(f"{int(value) / 1024:.0f}")
        print(f"| {process} | {cells[0]} | {cells[1]} |")
    return missing + (0 if by_process else 1)


def main():
    results, memory, info = parse(sys.argv[1])
    for key, value in info.items():
        print(f"{key}: {value}")
    mode_fields = dict(part.split("=", 1) for part in info.get("mode", "").split() if "=" in part)
    info.update(mode_fields)
    print()
    t = Table(results)
    add_baselines(t)
    add_list(t, "list_first", "sql_list_first", "review queue, page 1")
    add_list(t, "list_last", "sql_list_last", "review queue, last page")
    add_list_checks(t)
    add_approve(t, results)
    add_import(t)
    add_statistics(t, info)
    add_login(t)
    t.print()
    missing = t.missing + print_memory(memory)
    if missing:
        print(f"\n{missing} values are missing; see the results above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
