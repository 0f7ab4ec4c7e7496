"""The small FC build the CLI-level tests write as YAML: 64-16-10 at w2a2 on digits."""

from pathlib import Path

import yaml

SMALL_FC = {
    "network": "FC",
    "hidden": [16],
    "precision": "w2a2",
    "dataset": "digits",
    "train": {"epochs": 1},
    "verify_samples": 20,
    "rtlsim": False,
}


def write_config(path: Path, **changes) -> Path:
    """``SMALL_FC`` with ``changes`` (a value of None drops the field) as YAML at ``path``."""
    data = {**SMALL_FC, **changes}
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if v is not None}))
    return path
