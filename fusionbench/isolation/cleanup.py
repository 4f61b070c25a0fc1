"""Remove a folder that untrusted code has written into, without ever following a link.

``shutil.rmtree`` already walks by file descriptor, but its usual error handler (``os.chmod`` on a
path, then retry) follows a link that the submission planted and changes the mode of a file outside
the sandbox; and a folder left at mode 000 cannot be listed by an unprivileged owner.  Here every
folder is opened relative to its parent with ``O_NOFOLLOW``, its mode is repaired through the
descriptor (so a link is never the target), and the walk keeps a constant number of descriptors
open (it climbs back through ``..``), so neither deep nesting nor huge folders exhaust anything.

Call it only once every process that could write into the folder is gone.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["remove_tree"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _open_dir(name: str, parent_fd: int) -> int:
    """Open the folder ``name`` under ``parent_fd`` for listing, repairing its mode if needed."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        pass
    # mode 000 (or no read/search bit): fix the mode through an O_PATH descriptor of the folder itself
    path_fd = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
    try:
        os.chmod(f"/proc/self/fd/{path_fd}", 0o700)
    finally:
        os.close(path_fd)
    return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)


def _make_writable(fd: int) -> None:
    try:
        mode = os.fstat(fd).st_mode
        if mode & 0o700 != 0o700:
            os.fchmod(fd, 0o700)
    except OSError:
        pass


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete ``path`` and everything under it; links are removed, never followed.

    A missing ``path`` is not an error.  Raises :class:`OSError` only for what cannot be removed
    even after repairing permissions (e.g. an immutable file).
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(path)
        return
    parent_fd = os.open(path.parent, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        _remove_dir_at(parent_fd, path.name)
    finally:
        os.close(parent_fd)


def _remove_dir_at(top_parent_fd: int, top_name: str) -> None:
    names = [top_name]  # the folder names from the top down to the current one
    fd = _open_dir(top_name, top_parent_fd)
    try:
        while True:
            _make_writable(fd)
            subfolders = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.name)
                    else:
                        os.unlink(entry.name, dir_fd=fd)
            if subfolders:  # go down into one; the others are listed again on the way back
                child = _open_dir(subfolders[0], fd)
                os.close(fd)
                fd = child
                names.append(subfolders[0])
                continue
            # empty: climb to the parent and remove it there
            name = names.pop()
            if not names:
                os.close(fd)
                fd = -1
                os.rmdir(name, dir_fd=top_parent_fd)
                return
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(name, dir_fd=fd)
    finally:
        if fd >= 0:
            os.close(fd)
