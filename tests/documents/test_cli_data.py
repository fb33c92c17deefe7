"""`flask contracts render TYPE --data FILE.json`: any template from data, bad data named."""

import copy
import json

import pytest
from flask import Flask

from marketplace.documents import VariablesInvalid, load_template
from marketplace.documents.cli import contracts_cli

from .conftest import pdf_text, requires_poppler


@pytest.fixture
def cli_runner():
    app = Flask(__name__)
    app.cli.add_command(contracts_cli)
    return app.test_cli_runner()


def _write(tmp_path, data, name="data.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@requires_poppler
def test_renders_a_license_from_a_data_file(cli_runner, tmp_path):
    data = copy.deepcopy(load_template("license").sample())
    data["licensor"]["name"] = "비전마켓"
    data["licensee"]["name"] = "한빛전자"
    del data["patents"]
    out = tmp_path / "license.pdf"
    result = cli_runner.invoke(
        args=["contracts", "render", "license", "--lang", "ko",
              "--data", str(_write(tmp_path, data)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(out).split()).replace(" ", "")
    assert '비전마켓(이하"갑"이라한다)과한빛전자(이하"을"이라한다)는' in text
    assert "대상특허" not in text


def test_bad_data_is_named_by_dotted_path_and_nothing_is_written(cli_runner, tmp_path):
    data = copy.deepcopy(load_template("license").sample())
    del data["licensor"]["address"]
    data["licensee"]["fax"] = "02-000-0000"
    data["term_months"] = "sixty"
    data["upfront_fee"] = {"amount": 5000.5, "currency": "KRW", "vat": True}
    data["dispute_resolution"] = "duel"
    data["surprise"] = 1
    out = tmp_path / "license.pdf"
    result = cli_runner.invoke(
        args=["contracts", "render", "license",
              "--data", str(_write(tmp_path, data)), "--out", str(out)]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a message, not a crash
    assert "Traceback" not in result.output
    for line in (
        "licensor.address: required",
        "licensee.fax: unknown key",
        "term_months: expected an integer",
        "upfront_fee.amount: expected integer minor units",
        "upfront_fee.vat: unknown key",
        "dispute_resolution: must be one of court, arbitration",
        "surprise: not a variable of this template",
    ):
        assert line in result.output, line
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"licensor": ', "line 1, column 14"),
        ("[1, 2]", "variables must be a mapping"),
    ],
)
def test_a_data_file_that_is_not_an_object_is_named(cli_runner, tmp_path, content, named):
    path = tmp_path / "data.json"
    path.write_text(content, encoding="utf-8")
    result = cli_runner.invoke(
        args=["contracts", "render", "mou", "--data", str(path),
              "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert named in result.output


def test_a_missing_data_file_is_named(cli_runner, tmp_path):
    result = cli_runner.invoke(
        args=["contracts", "render", "mou", "--data", str(tmp_path / "none.json"),
              "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2
    assert "none.json" in result.output


def test_nested_unknown_keys_are_named_in_schedules_too():
    template = load_template("transfer")
    data = copy.deepcopy(template.sample())
    data["payment_schedule"][0]["note"] = "x"
    del data["payment_schedule"][1]["due"]
    with pytest.raises(VariablesInvalid) as caught:
        template.validate(data)
    assert caught.value.fields == {
        "payment_schedule[0].note": "unknown key",
        "payment_schedule[1].due": "required",
    }
