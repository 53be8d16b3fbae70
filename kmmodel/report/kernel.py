"""A Jupyter kernel spec for the running interpreter.

Notebooks execute with the Python that runs ``kmmodel report`` (the project's
virtual environment), never with a kernel name stored in the notebook or a
``python3`` spec that a user's Jupyter set-up may point elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

KERNEL_NAME = "kmmodel-python"

__all__ = ["KERNEL_NAME", "running_interpreter_kernel"]


@contextlib.contextmanager
def running_interpreter_kernel(env: dict[str, str] | None = None) -> Iterator[str]:
    """Register a temporary kernel spec for ``sys.executable``; yield its name.

    Parameters
    ----------
    env : dict, optional
        Extra environment variables for the kernel process.
    """
    with tempfile.TemporaryDirectory(prefix="kmmodel-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--IPKernelApp.log_level=CRITICAL",
            ],
            "display_name": f"kmmodel ({Path(sys.executable).parent.parent.name})",
            "language": "python",
            "env": dict(env or {}),
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, old]))
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old
