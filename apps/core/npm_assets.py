"""Browser libraries from npm served as static files, straight from ``node_modules``.

``package.json`` and ``package-lock.json`` name the packages; ``make install`` runs ``npm ci``; nothing of
them is committed. :class:`NodeModulesFinder` offers exactly the files listed in ``RILO_NPM_STATIC_FILES``
(a library's built file, a data file), each under its path inside ``node_modules``
(``echarts/dist/echarts.min.js``), so ``{% static %}``, the development server, the test server and
``collectstatic`` see them like any other static file, and nothing else of ``node_modules`` (sources, tests,
other builds) is ever reachable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage


def _node_modules() -> Path:
    return Path(settings.RILO_NODE_MODULES_DIR)


def _listed() -> list[str]:
    return list(settings.RILO_NPM_STATIC_FILES)


class NodeModulesFinder(BaseFinder):
    """Finds the files of ``RILO_NPM_STATIC_FILES`` in ``RILO_NODE_MODULES_DIR``, and no other."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_node_modules()))

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        # A copy already collected (the production image keeps STATIC_ROOT, not node_modules) is as good.
        collected = Path(settings.STATIC_ROOT) if settings.STATIC_ROOT else None
        missing = [
            name
            for name in _listed()
            if not (_node_modules() / name).is_file() and not (collected and (collected / name).is_file())
        ]
        if not missing:
            return []
        return [
            Error(
                f"Static files from npm are missing: {', '.join(missing)}.",
                hint="Run `make install` (it runs `npm ci` with the committed package-lock.json).",
                id="rilo.E010",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:  # str, or list[str] with find_all
        if path in _listed():
            found = _node_modules() / path
            if found.is_file():
                return [str(found)] if find_all else str(found)
        return []  # what Django's finders answer for "not here", whether one match or all were asked for

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        for name in _listed():
            if (_node_modules() / name).is_file() and not utils.matches_patterns(name, list(ignore_patterns or [])):
                yield name, self.storage
