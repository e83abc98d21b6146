#!/usr/bin/env python3
"""Process-level tests of --web.config.file (issue #18) with real TLS clients.

The real handoffd against tests/tools/mock_kafka, its HTTP server configured by an
exporter-toolkit web config file, probed with curl and `openssl s_client`: client
certificates required and verified (none, the right CA's, another CA's), basic auth with
the probes exempt, and a certificate and a web config replaced while the process runs.
The certificates are made by openssl at test time in a temporary directory.

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import os
import subprocess
import sys
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import HANDOFFD, Handoffd, MockKafkaTestCase, wait_for, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # bcrypt through libcrypt, as the daemon verifies it


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Pki:
    """Two CAs, each with a server certificate for 127.0.0.1 and a client certificate."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir)
        for ca in ("a", "b"):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "1", "-subj", f"/CN=test CA {ca}",
                    "-keyout", self.path(f"ca-{ca}.key"), "-out", self.path(f"ca-{ca}.pem"))
            self.issue(ca, f"server-{ca}", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1")
            self.issue(ca, f"client-{ca}", f"/CN=scraper-{ca}", "extendedKeyUsage=clientAuth")

    def path(self, name):
        return os.path.join(self.dir, name)

    def issue(self, ca, name, subject, extension):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", subject, "-keyout", self.path(f"{name}.key"),
                "-out", self.path(f"{name}.csr"))
        subprocess.run(["openssl", "x509", "-req", "-in", self.path(f"{name}.csr"), "-days", "1",
                        "-CA", self.path(f"ca-{ca}.pem"), "-CAkey", self.path(f"ca-{ca}.key"),
                        "-CAcreateserial", "-extfile", "/dev/stdin",
                        "-out", self.path(f"{name}.pem")],
                       input=extension.encode(), check=True, capture_output=True)


def replace_file(path, content):
    """Writes `content` next to `path` and renames it over: readers see old or new."""
    with open(path + ".new", "wb") as f:
        f.write(content)
    os.replace(path + ".new", path)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class WebConfigTest(MockKafkaTestCase):
    WORKDIR_PREFIX = "handoff-webtest-"
    TOPICS = ("handoffs:1",)

    def setUp(self):
        super().setUp()
        self.pki = Pki(self.workdir)
        # The files the web config names; the test replaces them to rotate.
        self.cert = os.path.join(self.workdir, "tls.crt")
        self.key = os.path.join(self.workdir, "tls.key")
        replace_file(self.cert, read(self.pki.path("server-a.pem")))
        replace_file(self.key, read(self.pki.path("server-a.key")))
        self.web = os.path.join(self.workdir, "web.yml")

    def write_web(self, client_auth="RequireAndVerifyClientCert", users=None):
        lines = ["tls_server_config:", "  cert_file: tls.crt", "  key_file: tls.key",
                 f"  client_auth_type: {client_auth}",
                 f"  client_ca_file: {self.pki.path('ca-a.pem')}"]
        if users:
            lines.append("basic_auth_users:")
            lines += [f"  {user}: '{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}'"
                      for user, password in users.items()]
        replace_file(self.web, ("\n".join(lines) + "\n").encode())

    def start(self):
        config = os.path.join(self.workdir, "handoffd.yaml")
        write_config(config, self.kafka.brokers, os.path.join(self.workdir, "ckpt"))
        return Handoffd(self.procs, self.workdir, "handoffd", config,
                        args=["--web.config.file", self.web])

    def curl(self, daemon, path, *, ca="a", client=None, user=None):
        """(curl's exit code, HTTP status or 0)."""
        args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                "--cacert", self.pki.path(f"ca-{ca}.pem")]
        if client:
            args += ["--cert", self.pki.path(f"{client}.pem"), "--key", self.pki.path(f"{client}.key")]
        if user:
            args += ["-u", user]
        result = subprocess.run(args + [f"https://127.0.0.1:{daemon.port}{path}"],
                                capture_output=True, text=True)
        return result.returncode, int(result.stdout or 0)

    def test_client_certificates_are_required_and_verified(self):
        self.write_web()
        daemon = self.start()
        self.assertEqual(self.curl(daemon, "/metrics", client="client-a"), (0, 200))
        code, status = self.curl(daemon, "/metrics")
        self.assertNotEqual(code, 0, "a client without a certificate got through")
        self.assertEqual(status, 0)
        code, status = self.curl(daemon, "/metrics", client="client-b")
        self.assertNotEqual(code, 0, "a certificate from another CA got through")
        # openssl s_client sees the CA names the server asks certificates of.
        session = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{daemon.port}",
             "-CAfile", self.pki.path("ca-a.pem"), "-cert", self.pki.path("client-a.pem"),
             "-key", self.pki.path("client-a.key"), "-verify_return_error", "-brief",
             "-ign_eof"],
            input=b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            capture_output=True, timeout=10)
        transcript = session.stdout.decode(errors="replace") + session.stderr.decode(errors="replace")
        self.assertIn("Verification: OK", transcript)
        self.assertIn("HTTP/1.1 200 OK", transcript)

    def test_basic_auth_exempts_the_probes(self):
        self.write_web(client_auth="VerifyClientCertIfGiven", users={"prometheus": "s3cret"})
        daemon = self.start()
        self.assertEqual(self.curl(daemon, "/metrics"), (0, 401))
        self.assertEqual(self.curl(daemon, "/metrics", user="prometheus:wrong"), (0, 401))
        self.assertEqual(self.curl(daemon, "/metrics", user="prometheus:s3cret"), (0, 200))
        self.assertEqual(self.curl(daemon, "/-/healthy"), (0, 200))
        self.assertIn(self.curl(daemon, "/-/ready")[1], (200, 503))  # not 401
        # VerifyClientCertIfGiven: no certificate passes the handshake, a foreign one not.
        self.assertNotEqual(self.curl(daemon, "/-/healthy", client="client-b")[0], 0)

    def test_certificates_and_users_are_read_again_without_a_restart(self):
        self.write_web(client_auth="NoClientCert")
        daemon = self.start()
        self.assertEqual(self.curl(daemon, "/metrics"), (0, 200))

        # A new certificate and key from CA b: new connections get them.
        replace_file(self.key, read(self.pki.path("server-b.key")))
        replace_file(self.cert, read(self.pki.path("server-b.pem")))
        wait_for(lambda: self.curl(daemon, "/metrics", ca="b") == (0, 200), 5,
                 "the rotated certificate")
        self.assertNotEqual(self.curl(daemon, "/metrics", ca="a")[0], 0)

        # Users added to the file apply to the next request.
        self.write_web(client_auth="NoClientCert", users={"prometheus": "s3cret"})
        self.assertEqual(self.curl(daemon, "/metrics", ca="b"), (0, 401))
        self.assertEqual(self.curl(daemon, "/metrics", ca="b", user="prometheus:s3cret"),
                         (0, 200))

        # A broken file is refused and the running set stays.
        replace_file(self.web, b"tls_server_config:\n  cert_file: tls.crt\n  client_auth_type: Maybe\n")
        self.assertEqual(self.curl(daemon, "/metrics", ca="b", user="prometheus:s3cret"),
                         (0, 200))
        self.assertIn("web config reload failed", daemon.log())
        self.assertIn("web.yml:3:21: tls_server_config.client_auth_type", daemon.log())

        # A file naming a certificate not there yet is refused too; the certificate is
        # taken once it appears, without the web config changing again.
        replace_file(self.web, b"tls_server_config:\n  cert_file: later.crt\n  key_file: later.key\n")
        self.assertEqual(self.curl(daemon, "/metrics", ca="b", user="prometheus:s3cret"),
                         (0, 200))
        self.assertEqual(daemon.log().count("web config reload failed"), 2)
        replace_file(os.path.join(self.workdir, "later.key"), read(self.pki.path("server-a.key")))
        replace_file(os.path.join(self.workdir, "later.crt"), read(self.pki.path("server-a.pem")))
        wait_for(lambda: self.curl(daemon, "/metrics", ca="a") == (0, 200), 5,
                 "the certificate that appeared at its new path")

    def test_check_config_loads_the_certificates_the_web_config_names(self):
        config = os.path.join(self.workdir, "handoffd.yaml")
        write_config(config, self.kafka.brokers, os.path.join(self.workdir, "ckpt"))
        self.write_web(client_auth="NoClientCert")

        def check():
            return subprocess.run([HANDOFFD, "check-config", config, "--web.config.file", self.web],
                                  capture_output=True, text=True, timeout=30)
        self.assertEqual(check().returncode, 0)
        # A key that is not the certificate's: the server could not start with it.
        replace_file(self.key, read(self.pki.path("server-b.key")))
        result = check()
        self.assertEqual(result.returncode, 1, result.stdout)  # a bad config
        self.assertIn(self.web + ": ", result.stderr)
        self.assertIn("tls_server_config.key_file " + self.key, result.stderr)


if __name__ == "__main__":
    unittest.main()
