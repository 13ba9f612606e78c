"""Write each service's OpenAPI document (and the console's) for the web app's generated
types: `python scripts/openapi.py OUTDIR`. The apps are built, never started: no broker or
database is needed."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

SCHEMAS = "#/components/schemas/"


def _refs(node: Any, schemas: dict[str, Any], seen: set[str]) -> set[str]:
    """Names of the component schemas `node` reaches, through references, transitively."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            name = ref[len(SCHEMAS) :]
            if name not in seen:
                seen.add(name)
                _refs(schemas.get(name), schemas, seen)
        for value in node.values():
            _refs(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            _refs(value, schemas, seen)
    return seen


def typed_for_clients(spec: dict[str, Any]) -> dict[str, Any]:
    """openapi-typescript makes a property with a default required wherever it sits in
    components (right for answers, which always carry it); a schema only ever sent keeps it
    optional here, as the service treats it."""
    schemas = spec.get("components", {}).get("schemas", {})
    operations = [
        op
        for item in spec.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict)
    ]
    sent = _refs([op.get("requestBody") for op in operations], schemas, set())
    answered = _refs([op.get("responses") for op in operations], schemas, set())
    for name in sent - answered:
        for prop in schemas[name].get("properties", {}).values():
            prop.pop("default", None)
    return spec


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi")
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")  # FastAPI's note on the proxy's shared operation ids
    from lodestone_automation.bootstrap import create_app as automation
    from lodestone_console.main import create_app as console
    from lodestone_contacts.bootstrap import create_app as contacts
    from lodestone_reporting.bootstrap import create_app as reporting
    from lodestone_scoring.bootstrap import create_app as scoring

    apps = {
        "contacts": contacts,
        "scoring": scoring,
        "automation": automation,
        "reporting": reporting,
        "console": console,
    }
    for name, create in apps.items():
        spec = typed_for_clients(create().openapi())
        (out / f"{name}.json").write_text(json.dumps(spec, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
