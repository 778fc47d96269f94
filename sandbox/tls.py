"""A throwaway certificate authority and server/client certificates (openssl), for TLS tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def _run(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_ca(folder: Path, name: str = "Centrale test CA") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "ca.key", folder / "ca.pem"
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-keyout", str(key), "-out", str(cert))  # fmt: skip
    return cert, key


def _signed(folder: Path, stem: str, cn: str, ca: tuple[Path, Path], san: str | None) -> tuple[Path, Path]:
    key, csr, cert = folder / f"{stem}.key", folder / f"{stem}.csr", folder / f"{stem}.pem"
    _run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", str(key), "-out", str(csr))
    args = ["x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
            "-days", "2", "-out", str(cert)]  # fmt: skip
    if san:
        ext = folder / f"{stem}.ext"
        ext.write_text(f"subjectAltName={san}\n")
        args += ["-extfile", str(ext)]
    _run(*args)
    return cert, key


def make_certs(folder: Path, host: str = "127.0.0.1") -> Certs:
    """A CA, a server certificate for ``host`` (as an IP SAN) and a client certificate."""
    ca = make_ca(folder)
    server = _signed(folder, "server", host, ca, f"IP:{host}")
    client = _signed(folder, "client", "store12", ca, None)
    return Certs(ca[0], server[0], server[1], client[0], client[1])
