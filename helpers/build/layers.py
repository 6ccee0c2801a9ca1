"""A staged task root as a reproducible image layer (gzip'd tar under `var/task/`), with its digests and sizes."""
from __future__ import annotations

import gzip
import hashlib
import tarfile
from pathlib import Path
from typing import BinaryIO

from helpers.build.image_spec import TASK_ROOT
from helpers.core.progress import progress


class _HashingWriter:
    """A write-only file that hashes what passes through it on the way to `out`."""

    def __init__(self, out: BinaryIO):
        self.out, self.sha, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
    return info


def write_layer(task_root: Path, tarball: Path) -> tuple[str, str]:
    """Write the task root as a reproducible gzip'd tar layer (`var/task/...`); (digest, diff_id)."""
    files = sorted(p for p in task_root.rglob("*"))
    total = sum(p.stat().st_size for p in files if p.is_file())
    prefix = TASK_ROOT.lstrip("/")
    with open(tarball, "wb") as raw, progress(total=total, unit="B", unit_scale=True, desc="layer tar.gz") as bar:
        gz_hash = _HashingWriter(raw)
        with gzip.GzipFile(fileobj=gz_hash, mode="wb", mtime=0, compresslevel=6) as gz:  # type: ignore[call-overload]
            diff = _HashingWriter(gz)  # type: ignore[arg-type]
            with tarfile.open(fileobj=diff, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                for p in files:
                    tar.add(p, arcname=f"{prefix}/{p.relative_to(task_root).as_posix()}", recursive=False,
                            filter=_reset)
                    if p.is_file():
                        bar.update(p.stat().st_size)
    return f"sha256:{gz_hash.sha.hexdigest()}", f"sha256:{diff.sha.hexdigest()}"


def dir_bytes(path: Path) -> int:
    """Bytes of the regular files under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
