"""Test certificates from the `openssl` command line: a CA and a server certificate it signs."""
import shutil
import subprocess

from conftest import skip_or_fail


def _openssl(folder, *args):
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def make_pki(folder, name, names="DNS:localhost,IP:127.0.0.1"):
    """A CA `{name}-ca.pem` and a certificate `{name}.pem`/`{name}.key` it signs, for `names` (subjectAltName)."""
    if shutil.which("openssl") is None:
        skip_or_fail("the openssl command line is missing (scripts/install-deps.sh installs it)")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    (folder / f"{name}-ext.cnf").write_text(f"subjectAltName={names}\n")
    _openssl(folder, "req", "-x509", *curve, "-keyout", f"{name}-ca.key", "-out", f"{name}-ca.pem", "-days", "2",
             "-subj", f"/CN={name} test CA")
    _openssl(folder, "req", *curve, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=localhost")
    _openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{name}-ca.pem", "-CAkey", f"{name}-ca.key",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}-ext.cnf")
    return folder / f"{name}-ca.pem", folder / f"{name}.pem", folder / f"{name}.key"
