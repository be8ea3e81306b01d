"""The bundled process library (``workflows``) and forms (``forms``), found through importlib.resources.

They are package data, so ``baguan deploy`` works the same from a source checkout, an editable install and
a wheel installed into site-packages.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator


@contextmanager
def package_dir(package: str) -> Iterator[Path]:
    """A real directory holding ``package``'s files for the duration of the block."""
    with resources.as_file(resources.files(package)) as path:
        yield Path(path)


def workflows_dir() -> AbstractContextManager[Path]:
    return package_dir("workflows")


def forms_dir() -> AbstractContextManager[Path]:
    return package_dir("forms")
