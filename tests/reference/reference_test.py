#!/usr/bin/env python3
"""The reference in docs/reference/ knows every config key and every metric the code knows.

- Config keys: every key the loader reads (config/*.cc: the string literals passed to
  Read*, Child, Get, GetScalar, PathOf and Require) must appear as `key` in
  docs/reference/config.md.
- Metrics: every metric name the daemon registers (string literals "handoff_..." and
  "process_..." in daemon/*metrics*.cc) must have a row in docs/reference/metrics.md.
- The reference is self-contained: no page points at a file outside the repository.

A new key or metric without docs fails this test. Python 3 standard library only.
Environment: HANDOFF_SOURCE_DIR (default: two folders up from this file).
"""

import glob
import os
import re
import sys
import unittest

SOURCE_DIR = os.environ.get("HANDOFF_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REFERENCE = os.path.join(SOURCE_DIR, "docs", "reference")

# A key the loader reads: ReadDuration(reader, "lateness", ...), Child("kafka"),
# Get("slas"), GetScalar("timezone"), PathOf("warn_at"), ReadChoice<T>(reader, "format", ...).
CONFIG_KEY = re.compile(
    r'\b(?:Read\w*(?:<[^>()]*>)?|Child|Get|GetScalar|PathOf|Require)\(\s*(?:\w+,\s*)?"([a-z_]+)"')
METRIC = re.compile(r'"((?:handoff|process)_[a-z0-9_]+)"')


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def names_in(pattern, files):
    """{name: [files it is in]} for every match of `pattern` in the files of a glob
    relative to the repository."""
    names = {}
    for path in sorted(glob.glob(os.path.join(SOURCE_DIR, files))):
        for name in pattern.findall(read(path)):
            names.setdefault(name, []).append(os.path.relpath(path, SOURCE_DIR))
    return names


def config_keys():
    return names_in(CONFIG_KEY, "config/*.cc")


def metric_names():
    return names_in(METRIC, "daemon/serve/*metrics*.cc")


class ReferenceTest(unittest.TestCase):
    def test_every_config_key_the_loader_reads_is_documented(self):
        keys = config_keys()
        # The extraction itself must work: the loader reads far more keys than this.
        self.assertGreater(len(keys), 40, keys)
        for key in ("lateness", "brokers", "warn_at", "basic_auth_users", "time_format"):
            self.assertIn(key, keys)
        # `key`, or a dotted path such as `fields.id` or `<name>.timezone`: every part counts.
        documented = {part for path in re.findall(r"`([a-z_<>.]+)`", read(
            os.path.join(REFERENCE, "config.md"))) for part in path.split(".")}
        missing = {k: v for k, v in keys.items() if k not in documented}
        self.assertEqual(missing, {}, "config keys read by the loader but not in "
                         "docs/reference/config.md (key: files)")

    def test_every_metric_the_daemon_registers_has_a_row(self):
        names = metric_names()
        self.assertGreater(len(names), 20, names)
        rows = set(re.findall(r"^\| `([a-z0-9_]+)`", read(os.path.join(REFERENCE, "metrics.md")),
                              re.M))
        missing = {k: v for k, v in names.items() if k not in rows}
        self.assertEqual(missing, {}, "metrics registered by the daemon but without a row in "
                         "docs/reference/metrics.md (metric: files)")

    def test_the_reference_points_only_inside_the_repository(self):
        for path in sorted(glob.glob(os.path.join(REFERENCE, "*.md"))):
            text = read(path)
            with self.subTest(page=os.path.basename(path)):
                self.assertNotRegex(text, r"DESIGN\.md|\.\./shared|/work/")
                # Relative links resolve to files of the repository (the one page another
                # change adds, baseline-and-compare.md, is allowed to be missing).
                for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
                    resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
                    if os.path.basename(resolved) == "baseline-and-compare.md":
                        continue
                    self.assertTrue(os.path.exists(resolved), f"{target} does not exist")


if __name__ == "__main__":
    unittest.main()
