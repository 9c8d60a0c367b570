"""The table models build pydantic's validation schema by their first validation or dump
(storage/types.py's TableModel, `defer_build`): that first use, in several threads at once,
still validates and dumps as a model built at import did."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter, so this is the models' first validation whatever ran before.
FIRST_USE = """
import json, threading
from pydantic import ValidationError
from storage.tables import Incident
doc = {"reference": "INC-1", "title": "Checkout down", "severity": 2, "services": ["api"],
       "created_at": "2026-11-22T09:00:00+00:00"}
assert not Incident.__pydantic_complete__
start, dumps = threading.Barrier(8), []
def first() -> None:
    start.wait()
    dumps.append(Incident.model_validate(doc).model_dump(mode="json"))
threads = [threading.Thread(target=first) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
try:
    Incident.model_validate({**doc, "severity": 9})
    refused = False
except ValidationError:
    refused = True
print(json.dumps({"dumps": dumps, "refused": refused}))
"""


def test_a_table_models_first_validation_in_threads_validates_and_dumps() -> None:
    out = subprocess.run([sys.executable, "-c", FIRST_USE], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    assert len(result["dumps"]) == 8
    assert all(d == result["dumps"][0] for d in result["dumps"])
    dump = result["dumps"][0]
    assert dump["severity"] == 2 and dump["services"] == ["api"]
    assert dump["created_at"] == "2026-11-22T09:00:00Z"
    assert result["refused"]  # severity: Field(ge=0, le=4)
