"""§9: a chronology handed to the police or the Local Authority's designated officer is signed, so whoever receives
it can show it was not altered since the school exported it.

The deployment holds one private key and its certificate, at ``settings.EVIDENCE_SIGNING_KEY`` and
``settings.EVIDENCE_SIGNING_CERT`` (PEM files; point them at a trust's or school's own certificate). When neither
exists, the first signing makes them: an RSA key (readable by its owner only) and a self-signed certificate, so a
fresh clone signs from its first export. Two processes making them at once cannot end with a key and a
certificate that do not belong together: each file is put in place only if it is not there yet (``os.link``),
and the loser reads the winner's."""

import datetime
import hashlib
import io
import logging
import os
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)
CERT_DAYS = 3650  # ten years: a chronology may be checked long after it was exported


def _put(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` at ``path`` only if nothing is there yet (atomically); False when someone was first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".new-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def _new_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _self_signed(key_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, password=None)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "saferstaff evidence signing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.SITE_URL or "saferstaff"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _wait_for(path: Path, seconds: float = 10) -> None:
    """Another process put the key in place and is writing its certificate: wait for it."""
    until = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < until:
        time.sleep(0.05)


def ensure_keys() -> tuple[Path, Path]:
    """The key and certificate paths, made on first use when neither exists."""
    key_path, cert_path = Path(settings.EVIDENCE_SIGNING_KEY), Path(settings.EVIDENCE_SIGNING_CERT)
    if not key_path.exists():
        if cert_path.exists():
            raise ImproperlyConfigured(
                f"EVIDENCE_SIGNING_CERT {cert_path} exists but its key EVIDENCE_SIGNING_KEY {key_path} does not"
            )
        if _put(key_path, _new_key(), 0o600):
            _put(cert_path, _self_signed(key_path.read_bytes()), 0o644)
            log.warning(
                "made a new evidence signing key %s and certificate %s: back them up", key_path, cert_path
            )
    _wait_for(cert_path)
    if not cert_path.exists():  # a deployment gave its own key alone: certify it ourselves
        _put(cert_path, _self_signed(key_path.read_bytes()), 0o644)
    return key_path, cert_path


@lru_cache(maxsize=4)
def _signer(key_path: str, cert_path: str, stamp: tuple):
    from pyhanko.sign import signers  # heavy (pyHanko and its ASN.1 stack), and only for the signed export

    signer = signers.SimpleSigner.load(key_path, cert_path)
    if signer is None:
        raise ImproperlyConfigured(
            f"EVIDENCE_SIGNING_KEY {key_path} or EVIDENCE_SIGNING_CERT {cert_path} is unreadable"
        )
    public = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None).public_key()
    if public != x509.load_pem_x509_certificate(Path(cert_path).read_bytes()).public_key():
        raise ImproperlyConfigured(
            f"EVIDENCE_SIGNING_CERT {cert_path} is not the certificate of the key EVIDENCE_SIGNING_KEY {key_path}"
        )
    return signer


def _loaded():
    key_path, cert_path = ensure_keys()
    stamp = (key_path.stat().st_mtime_ns, cert_path.stat().st_mtime_ns)  # a replaced key is read again
    return _signer(str(key_path), str(cert_path), stamp)


def certificate_pem() -> bytes:
    return Path(ensure_keys()[1]).read_bytes()


def fingerprint() -> str:
    """The certificate's SHA-256 fingerprint, printed in each chronology so a receiver can check it with the
    school by another channel (a self-signed certificate is trusted only that way)."""
    der = x509.load_pem_x509_certificate(certificate_pem()).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def sign_pdf(pdf: bytes, *, reason: str) -> bytes:
    """``pdf`` with a signature over the whole file (PAdES, SHA-256)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # heavy: as above
    from pyhanko.sign import signers

    signer = _loaded()  # first: a key and certificate that do not match are said before anything else
    meta = signers.PdfSignatureMetadata(field_name="Signature", reason=reason, md_algorithm="sha256")
    # Room for the signature given up front: otherwise pyHanko signs twice, once only to measure it.
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, bytes_reserved=16384
    )
    return out.getvalue()
