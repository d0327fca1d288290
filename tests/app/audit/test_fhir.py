"""The FHIR AuditEvent export: valid R4 (checked with fhir.resources), and still verifiable."""

from __future__ import annotations

import base64
import json

import pyrage
import pytest
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle

from app.audit import fhir, log, merkle
from app.audit.checkpoint import fingerprint, open_signed
from app.vault.documents import record_view, search
from tests.app.test_cli import fieldscribe
from tests.helpers import add_text_documents


@pytest.fixture(scope="module")
def supervisor():
    return pyrage.x25519.Identity.generate()


def _extension(resource: dict, url: str):
    (value,) = [
        next(v for k, v in extension.items() if k.startswith("value"))
        for extension in resource["extension"]
        if extension["url"] == url
    ]
    return value


def test_the_fhir_export_is_a_valid_bundle_whose_merkle_proof_survives(vault, tmp_path, supervisor):
    (document_id,) = add_text_documents(vault, 1, words="wound dressing")
    record_view(vault, document_id)
    search(vault, "wound")
    events = log.read_events(vault)
    report = log.export(vault, tmp_path / "log.fhir.age", recipient=str(supervisor.to_public()),
                        fmt="fhir")  # fmt: skip
    plaintext = pyrage.decrypt(report.path.read_bytes(), [supervisor])

    bundle = Bundle.model_validate_json(plaintext)  # R4B's Bundle and AuditEvent are R4's
    assert bundle.type == "collection" and len(bundle.entry) == len(events)
    document = json.loads(plaintext)
    resources = [entry["resource"] for entry in document["entry"]]
    for resource, event in zip(resources, events, strict=True):
        FhirAuditEvent.model_validate(resource)
        assert resource["recorded"] == event.ts_utc
        assert resource["agent"][0]["who"]["identifier"]["value"].startswith("os-user:")
        assert resource["entity"][0]["what"]["identifier"]["value"] == event.object_id
        assert resource["source"]["observer"]["identifier"]["value"] == vault.fingerprint
    actions = {r["subtype"][0]["code"]: r["action"] for r in resources}
    assert actions["document.import"] == "C" and actions["document.view"] == "R"
    assert actions["search.run"] == "E"
    assert b"wound" not in plaintext  # the search's words are a keyed hash, not text

    # The proof: leaf hashes recomputed from each event's line, the root signed by the device.
    leaves = []
    for resource in resources:
        line = base64.b64decode(_extension(resource, fhir.EVENT_LINE))
        leaf = merkle.leaf_hash(line)
        assert base64.b64decode(_extension(resource, fhir.LEAF_HASH)) == leaf
        leaves.append(leaf)
    public_key = base64.b64decode(_extension(resources[0]["source"], fhir.DEVICE_KEY))
    assert fingerprint(public_key) == vault.fingerprint
    checkpoint = open_signed(_extension(resources[0], fhir.CHECKPOINT), public_key)
    assert checkpoint.tree_size == len(leaves)
    assert checkpoint.root_hash == merkle.root(leaves)
    assert log.read_events(vault)[-1].details["format"] == "fhir"


@pytest.mark.slow
def test_audit_export_format_fhir_on_the_command_line(vault_home, passphrase_file, tmp_path,
                                                      supervisor):  # fmt: skip
    out = tmp_path / "audit.fhir.age"
    result = fieldscribe(
        "--passphrase-file", passphrase_file, "audit", "export", "--out", out,
        "--recipient", str(supervisor.to_public()), "--format", "fhir", home=vault_home.root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    Bundle.model_validate_json(pyrage.decrypt(out.read_bytes(), [supervisor]))
