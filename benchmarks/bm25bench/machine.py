"""This process and this machine: current and peak RSS, CPU, RAM, versions, sizes on disk."""

from __future__ import annotations

import os
import platform
import resource
import sys
from importlib import metadata
from pathlib import Path


def _proc_status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Current resident set size of this process (Linux /proc; ru_maxrss elsewhere)."""
    v = _proc_status_mb("VmRSS:")
    return v if v is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak RSS of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a
    worker would report its parent's peak whenever that is larger."""
    v = _proc_status_mb("VmHWM:")
    if v is not None:
        return v
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for pkg in ("numpy", "rank-bm25", "bm25s", "tantivy", "PyStemmer", "scipy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cpu": cpu, "cores": cores, "ram_gb": ram_gb, "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


def dir_mb(folder: Path) -> float:
    if folder.is_file():
        return folder.stat().st_size / 1e6
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
