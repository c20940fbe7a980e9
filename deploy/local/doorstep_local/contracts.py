"""Write the event contract (one JSON Schema per event type) to docs/events/.

``python -m doorstep_local.contracts`` regenerates; tests/contracts checks the files match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from doorstep_shared.events.contracts import EVENT_TYPES, event_json_schema

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"


def rendered_schemas() -> dict[str, str]:
    return {
        f"{event_type}.json": json.dumps(event_json_schema(model), indent=2, sort_keys=True) + "\n"
        for event_type, model in sorted(EVENT_TYPES.items())
    }


def write(directory: Path = DOCS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_schemas().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
    sys.exit(0)
