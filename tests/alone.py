"""Stage each notebook alone, as a reader gets it on Colab.

A notebook is copied into an empty directory of its own, next to a `data/` folder that holds
only the verified d2l cache files (sha1 checked), nothing else from the repository:

    _build/alone/chapters__01_rnn/notebook/01_rnn.ipynb
    _build/alone/chapters__01_rnn/data/timemachine.txt
    _build/alone-exercises/exercises__01_rnn/notebook/01_rnn.ipynb

nbval and tests/test_exercises.py run these copies, so every notebook is proved to work by
itself, without a second execution. The kernel's cwd is the copy's folder, so a notebook that
reached into the repository (tools/, tests/, another chapter) would fail here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "_build" / "alone"  # nbval collects from here (pytest.ini): chapters and solutions
STAGE_EXERCISES = ROOT / "_build" / "alone-exercises"  # run by tests/test_exercises.py
VERIFIED = {"timemachine.txt": "090b5e7e70c295757f55df93cb0a180b9691891a",
            "fra-eng.zip": "94646ad1522d915e7b0f9296181140edcf86a4f5"}


def verified_data() -> list[Path]:
    files = []
    for name, sha1 in VERIFIED.items():
        path = ROOT / "data" / name
        if path.exists() and hashlib.sha1(path.read_bytes()).hexdigest() == sha1:
            files.append(path)
    return files


def staged_path(notebook: str) -> Path:
    """'chapters/01_rnn.ipynb' → its lone copy."""
    folder, name = notebook.split("/")
    stage_root = STAGE_EXERCISES if folder == "exercises" else STAGE
    return stage_root / f"{folder}__{Path(name).stem}" / "notebook" / name


def original(staged: str) -> str:
    """A lone copy's path (as in a pytest node id) → 'chapters/01_rnn.ipynb'."""
    parts = Path(staged).parts
    folder, _ = parts[-3].split("__", 1)
    return f"{folder}/{parts[-1]}"


def stage(folders=("chapters", "solutions", "exercises")) -> None:
    shutil.rmtree(STAGE, ignore_errors=True)
    shutil.rmtree(STAGE_EXERCISES, ignore_errors=True)
    data = verified_data()
    for folder in folders:
        for source in sorted((ROOT / folder).glob("*.ipynb")):
            target = staged_path(f"{folder}/{source.name}")
            target.parent.mkdir(parents=True)
            shutil.copy(source, target)
            (target.parent.parent / "data").mkdir()
            for file in data:
                link = target.parent.parent / "data" / file.name
                try:
                    os.link(file, link)
                except OSError:
                    shutil.copy(file, link)
