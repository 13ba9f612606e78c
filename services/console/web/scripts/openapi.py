"""Write each service's OpenAPI document (and the console's) for the web app's generated
types: `python scripts/openapi.py OUTDIR`. The apps are built, never started: no broker or
database is needed."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path


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
        spec = create().openapi()
        (out / f"{name}.json").write_text(json.dumps(spec, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
