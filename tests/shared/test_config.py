"""Settings: the README's Configuration table names exactly the environment variables `Config`
reads, and the upload directories it documents are where uploads go."""

import io
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import pytest

from marketplace import config as config_module
from marketplace.agreements import library
from marketplace.documents.templates import CONTRACTS_ROOT
from marketplace.extensions import db, limiter
from tests.conftest import login, make_test_app
from tests.listings.helpers import PDF, make_listing

README = Path(__file__).resolve().parents[2] / "README.md"


class _Recorder(Mapping):
    """The process environment, noting every name looked up."""

    def __init__(self, environ):
        self.environ, self.names = environ, set()

    def __getitem__(self, name):
        self.names.add(name)
        return self.environ[name]

    def __contains__(self, name):
        self.names.add(name)
        return name in self.environ

    def get(self, name, default=None):
        self.names.add(name)
        return self.environ.get(name, default)

    def __iter__(self):
        raise AssertionError("Config reads variables by name, never the whole environment")

    def __len__(self):
        return len(self.environ)


def variables_config_reads(monkeypatch) -> set[str]:
    recorder = _Recorder(dict(os.environ))
    monkeypatch.setattr(config_module, "os", SimpleNamespace(environ=recorder))
    config_module.Config()
    return recorder.names


def variables_readme_documents() -> set[str]:
    """The backticked names in the first column of the README's Configuration table."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}


def test_the_readme_documents_every_variable_config_reads_and_no_other(monkeypatch):
    read, documented = variables_config_reads(monkeypatch), variables_readme_documents()
    assert read, "no variable read: the recorder missed Config's reads"
    assert not documented - read, f"documented but not read: {sorted(documented - read)}"
    assert not read - documented, f"read but not documented: {sorted(read - documented)}"


def test_nothing_outside_config_reads_the_environment():
    """Settings come from `current_app.config`; only config.py (and the process-level
    OpenBLAS setting, which must precede numpy's import) look at the environment."""
    package = Path(config_module.__file__).parent
    readers = {str(p.relative_to(package)) for p in package.rglob("*.py")
               if re.search(r"os\.environ|getenv", p.read_text(encoding="utf-8"))}
    assert readers == {"config.py", "__init__.py"}


@pytest.fixture
def app_from_env(app, monkeypatch, tmp_path):
    """The app as a process started with the upload directories in its environment."""
    monkeypatch.setenv("LISTING_ATTACHMENT_DIR", str(tmp_path / "listing-files"))
    monkeypatch.setenv("CONTRACT_TEMPLATE_DIR", str(tmp_path / "contract-templates"))
    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"])
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    limiter.init_app(app)  # one limiter for every app: give it the session app's storage back


def test_listing_attachments_are_kept_in_listing_attachment_dir(app_from_env, make_user,
                                                                tmp_path):
    owner = make_user(kind="startup")
    with app_from_env.test_request_context():
        listing_id = make_listing(owner)
    client = app_from_env.test_client()
    login(client, owner)
    sent = client.post(f"/ko/listings/{listing_id}/attachments",
                       data={"file": (io.BytesIO(PDF), "plan.pdf")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    stored = [p for p in (tmp_path / "listing-files").glob("*/*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [PDF]
    with app_from_env.app_context():
        from marketplace.listings.models import Attachment

        attachment_id = db.session.scalar(db.select(Attachment.id))
    with client.get(f"/ko/attachments/{attachment_id}") as response:
        assert response.status_code == 200 and response.data == PDF


def test_uploaded_contract_templates_are_kept_in_contract_template_dir(app_from_env, make_user,
                                                                       tmp_path):
    admin = make_user(kind=None, role="admin")
    client = app_from_env.test_client()
    login(client, admin, lang="en")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in library.REQUIRED_FILES:
            archive.writestr(name, (CONTRACTS_ROOT / "poc" / name).read_bytes())
    sent = client.post("/en/contracts/templates", data={
        "key": "poc", "files": [(io.BytesIO(buffer.getvalue()), "poc-v2.zip")]},
        content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(True)[-1500:]
    assert (tmp_path / "contract-templates" / "poc" / "v3" / "ko.html").is_file()
    page = client.get("/en/contracts/templates").get_data(True)
    row = re.search(r'data-template="poc">(.*?)</tr>', page, re.S).group(1)
    assert "v1, v2, v3 (" in row  # served from there: the page lists the uploaded version
