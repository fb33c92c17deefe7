"""The platform's seal on a signed contract: a PAdES signature made with pyHanko.

When both parties have signed, the final PDF is signed once more by the platform, with the
certificate and key named by ``CONTRACT_SEAL_CERT`` / ``CONTRACT_SEAL_KEY`` (PEM files). The
signature covers every byte of the file but itself, so any later change shows in a PDF reader
(``pdfsig`` says the signature is invalid); its signing time is in the signature dictionary.

The seal is an incremental update: the PDF/A-3b file WeasyPrint wrote stays byte for byte
at the start of the sealed file. It is a certification signature that allows no changes, signed
with RSA so the file stays at PDF 1.7 (pyHanko moves a file signed with ECDSA to PDF 2.0).

`make_self_signed` writes a self-signed pair for a local run (``flask contracts make-seal``);
readers then show the signature as valid and its certificate as not trusted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .errors import DocumentError
from .pdf import RenderedContract

log = logging.getLogger(__name__)

FIELD_NAME = "PlatformSeal"
SEAL_NAME = "Tech Trade-On contract seal"


class SealUnavailable(DocumentError):
    """The configured certificate or key cannot be used."""


@dataclasses.dataclass(frozen=True)
class Sealer:
    """Seals PDFs with one certificate and key.

    pyHanko is imported only here, when a contract is sealed: it adds a second to the start of
    every process that imports it.
    """

    signer: Any  # pyhanko.sign.signers.SimpleSigner

    @classmethod
    def from_files(cls, cert: str | Path, key: str | Path,
                   passphrase: str | None = None) -> Sealer:
        """Load a PEM certificate and private key; a missing or unreadable pair is named."""
        from pyhanko.sign import signers

        for name, path in (("CONTRACT_SEAL_CERT", cert), ("CONTRACT_SEAL_KEY", key)):
            if not Path(path).is_file():
                raise SealUnavailable("the contract seal file does not exist", {name: str(path)})
        # pyHanko reports a bad key or passphrase by logging it and returning None.
        signer = signers.SimpleSigner.load(
            str(key), str(cert), key_passphrase=passphrase.encode() if passphrase else None)
        if signer is None:
            raise SealUnavailable(
                "the contract seal key cannot be read (wrong file or passphrase?)",
                {"CONTRACT_SEAL_KEY": str(key)})
        return cls(signer)

    def seal(self, pdf: bytes, *, reason: str) -> bytes:
        """`pdf` with the platform's signature added in an incremental update."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _keep_producer_consistent(writer)
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        )
        return signers.sign_pdf(writer, meta, signer=self.signer).getvalue()


def _keep_producer_consistent(writer) -> None:
    """PDF/A wants the Info dictionary and the XMP metadata to name the same producer.

    pyHanko writes itself as the XMP producer but appends itself to an existing Info producer;
    with no Info producer it writes the same name to both.
    """
    from pyhanko.pdf_utils import generic

    try:
        info = writer.trailer["/Info"]
    except KeyError:
        return
    kept = generic.DictionaryObject(
        {key: value for key, value in info.items() if key != "/Producer"})
    writer.set_info(kept)


def sealer_from_config(config: Mapping) -> Sealer | None:
    """The configured sealer, or None (with a warning) when no certificate is configured."""
    cert, key = config.get("CONTRACT_SEAL_CERT"), config.get("CONTRACT_SEAL_KEY")
    if not cert or not key:
        log.warning("signed contracts are not sealed: set CONTRACT_SEAL_CERT and "
                    "CONTRACT_SEAL_KEY (or run `flask contracts make-seal`)")
        return None
    return Sealer.from_files(cert, key, config.get("CONTRACT_SEAL_PASSPHRASE"))


def seal_contract(document: RenderedContract, config: Mapping, *,
                  contract_no: str) -> RenderedContract:
    """The final contract sealed by the platform (unchanged when no seal is configured)."""
    sealer = sealer_from_config(config)
    if sealer is None:
        return document
    pdf = sealer.seal(document.pdf, reason=f"Contract {contract_no} signed by both parties")
    return dataclasses.replace(document, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())


def make_self_signed(cert_path: Path, key_path: Path, *, passphrase: str | None = None,
                     years: int = 10) -> x509.Certificate:
    """Write a new RSA key and a self-signed certificate for it, both PEM (the key mode 600)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tech Trade-On"),
        x509.NameAttribute(NameOID.COMMON_NAME, SEAL_NAME),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8, encryption)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert
