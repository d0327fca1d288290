"""The audit log as a FHIR R4 `Bundle` of `AuditEvent` resources (IHE BALP shape).

Hospitals' audit repositories read FHIR. Each event keeps what makes it verifiable: its
canonical line and leaf hash, and the export's signed checkpoint with the device's public key, as
extensions; so the Merkle root can be recomputed from the Bundle alone and checked against the
signature. The agent is the OS account, labelled as such (Fieldscribe authenticates no user).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, fingerprint
from app.audit.events import AuditEvent

EXTENSION_BASE = "urn:fieldscribe:fhir:"
LEAF_HASH = EXTENSION_BASE + "leaf-hash"
EVENT_LINE = EXTENSION_BASE + "event-line"
CHECKPOINT = EXTENSION_BASE + "checkpoint"
DEVICE_KEY = EXTENSION_BASE + "device-public-key"
SEQ = EXTENSION_BASE + "seq"

_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_OUTCOMES = {"ok": "0", "denied": "4", "unknown": "4", "failed": "8"}


def _event_type(action: str) -> tuple[str, str]:
    """The DICOM audit event type (the codes IHE BALP uses) for one of our actions."""
    if action in ("vault.unlock", "vault.lock", "vault.unlock_failed"):
        return "110114", "User Authentication"
    if action.startswith("vault."):
        return "110113", "Security Alert"
    if action == "search.run":
        return "110112", "Query"
    if action in ("result.export", "audit.export"):
        return "110106", "Export"
    if action == "audit.verify":
        return "110101", "Audit Log Used"
    if action.split(".")[0] in ("model", "template"):
        return "110100", "Application Activity"
    return "110110", "Patient Record"


def _action_code(action: str) -> str:
    """FHIR's C/R/U/D/E for one of our actions."""
    verb = action.split(".")[1]
    if verb in ("create", "import", "start"):
        return "C"
    if verb in ("view", "export", "verify"):
        return "R"
    if verb in ("delete", "remove"):
        return "D"
    if verb in ("run", "unlock", "lock", "unlock_failed"):
        return "E"
    return "U"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def audit_event(event: AuditEvent, line: bytes, checkpoint_note: str, public_key: bytes,
                origin: str) -> dict:  # fmt: skip
    code, display = _event_type(event.action)
    details = [
        {"type": key, "valueString": json.dumps(value, sort_keys=True)}
        for key, value in sorted(event.details.items())
    ]
    entity = {
        "what": {
            "identifier": {
                "system": f"urn:fieldscribe:{event.object_type}",
                "value": event.object_id,
            }
        },  # fmt: skip
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
            "code": "2",
            "display": "System Object",
        },  # fmt: skip
    }
    if details:
        entity["detail"] = details
    return {
        "resourceType": "AuditEvent",
        "id": f"seq-{event.seq}",
        "extension": [
            {"url": SEQ, "valueInteger": event.seq},
            {"url": EVENT_LINE, "valueBase64Binary": _b64(line)},
            {"url": LEAF_HASH, "valueBase64Binary": _b64(merkle.leaf_hash(line))},
            {"url": CHECKPOINT, "valueString": checkpoint_note},
        ],
        "type": {"system": _DCM, "code": code, "display": display},
        "subtype": [{"system": "urn:fieldscribe:action", "code": event.action}],
        "action": _action_code(event.action),
        "recorded": event.ts_utc,
        "outcome": _OUTCOMES.get(event.outcome, "4"),
        "outcomeDesc": event.outcome,
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                            "code": "humanuser",
                            "display": "human user",
                        }
                    ]
                },  # fmt: skip
                "role": [{"text": "OS account running Fieldscribe (not authenticated by it)"}],
                "who": {
                    "identifier": {"system": "urn:fieldscribe:os-account", "value": event.actor}
                },  # fmt: skip
                "requestor": True,
            }
        ],
        "source": {
            "extension": [{"url": DEVICE_KEY, "valueBase64Binary": _b64(public_key)}],
            "site": origin,
            "observer": {
                "identifier": {
                    "system": "urn:fieldscribe:device-key",
                    "value": fingerprint(public_key),
                },  # fmt: skip
                "display": origin,
            },
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "1",
                    "display": "End-user display device, diagnostic display",
                }
            ],  # fmt: skip
        },
        "entity": [entity],
    }


def bundle(
    origin: str,
    public_key: bytes,
    events: list[AuditEvent],
    lines: list[bytes],
    sign: Callable[[Checkpoint], str],
    exported_utc: str,
) -> bytes:
    """The Bundle's JSON; `sign` signs the checkpoint over `lines` as the chain's next link."""
    root = merkle.root([merkle.leaf_hash(line) for line in lines])
    note = sign(Checkpoint(origin, len(lines), root, ("format fhir-r4",)))
    document = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": exported_utc,
        "entry": [
            {
                "fullUrl": f"urn:fieldscribe:{origin}:audit-event:{event.seq}",
                "resource": audit_event(event, line, note, public_key, origin),
            }
            for event, line in zip(events, lines, strict=True)
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False).encode()
