"""The raw folder as scrapers and crawlers leave it: every file at any depth is a dump, named by its
path inside the folder (`tass/2024-07-25/news.txt`), which the manifest, `status` and the report show.

What is passed over, at any depth: names that writers use for files in progress or hide
(`*.part`, `*.tmp`, `*.crdownload`, `.name`, `~name`; a folder of such a name with all it holds).
A symbolic link is followed only when what it leads to lies inside the raw folder (a file or a
folder); any other link is an entry with a `problem`, and what it leads to is never opened: a
scraper's folder is not trusted input, and a link out of it must not put a private file into the
tables. A folder reached twice (through a link, or a link loop) is read once, under its own name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
IN_PROGRESS_PREFIXES = (".", "~")
LINK_OUTSIDE = (
    "a symbolic link that leads outside the raw folder: not followed, nothing read "
    "(only links to files and folders inside the raw folder are read)"
)


@dataclass(frozen=True)
class RawEntry:
    """One entry of the raw folder: where it is opened, its name in the manifest, and, for an entry
    that is no dump to read, why (`problem`: rejected; `waiting`: left alone for now)."""

    path: Path
    name: str
    problem: str | None = None
    waiting: str | None = None


def in_progress_reason(name: str, folder: bool = False) -> str | None:
    """Why a file or folder name says that a writer is not done with it (None when it does not)."""
    lower = name.lower()
    kind = "folder" if folder else "file"
    for suffix in IN_PROGRESS_SUFFIXES:
        if lower.endswith(suffix):
            return f"its name ends in `{suffix}`: a {kind} still being written"
    if name.startswith(IN_PROGRESS_PREFIXES):
        return f"its name starts with `{name[0]}`: a hidden or temporary {kind}, still being written or not a dump"
    return None


def dump_name(raw_dir: Path, path: Path) -> str:
    """The name of a dump: its path relative to the raw folder, `/`-separated."""
    return PurePosixPath(*Path(os.path.relpath(path, raw_dir)).parts).as_posix()


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def raw_entries(raw_dir: Path) -> list[RawEntry]:
    """Every entry of the raw folder at any depth, in name order: files to read, and entries passed
    over (in-progress and hidden names, links out of the folder, unreadable folders) with why."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    root = os.path.realpath(raw_dir)
    entries: list[RawEntry] = []
    read_folders = {root}
    linked: list[Path] = []  # folders reached through a link: read after the real ones, if not read yet

    def visit(folder: Path) -> None:
        try:
            with os.scandir(folder) as found:
                names = sorted(e.name for e in found)
        except OSError as exc:
            problem = f"unreadable folder: {exc.strerror or exc}"
            entries.append(RawEntry(folder, dump_name(raw_dir, folder), problem=problem))
            return
        for name in names:
            path = folder / name
            is_link = path.is_symlink()
            if is_link and not _inside(os.path.realpath(path), root):
                entries.append(RawEntry(path, dump_name(raw_dir, path), problem=LINK_OUTSIDE))
                continue
            is_folder = path.is_dir()
            if reason := in_progress_reason(name, folder=is_folder):
                entries.append(RawEntry(path, dump_name(raw_dir, path), waiting=reason))
            elif is_folder and is_link:
                linked.append(path)
            elif is_folder:
                read_folders.add(os.path.realpath(path))
                visit(path)
            else:  # a file, a link to one inside the folder, or an entry the manifest rejects (a broken link)
                entries.append(RawEntry(path, dump_name(raw_dir, path)))

    visit(raw_dir)
    while linked:
        path = linked.pop(0)
        real = os.path.realpath(path)
        if real not in read_folders:
            read_folders.add(real)
            visit(path)
    return sorted(entries, key=lambda e: e.name)
