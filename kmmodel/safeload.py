"""Read untrusted input files within bounds: YAML without alias bombs, xlsx without zip bombs.

Every YAML and ``.xlsx`` reader in kmmodel goes through this module, so a hostile or
careless file is refused with one of our own errors, naming the file and line, before
it can use much time or memory:

YAML (:func:`read_yaml`, :func:`load_yaml`)
    * files above :data:`MAX_YAML_BYTES` (1 MB) are refused unread (the shipped schemes
      are under 10 kB; a scheme of 1,000 indicators is about 200 kB, while parsing
      takes seconds per MB even with libyaml, because values are built in Python);
    * parsed with the C safe loader (``yaml.CSafeLoader``) when PyYAML has libyaml,
      the pure-Python ``SafeLoader`` otherwise; never constructs Python objects;
    * the node graph is checked before any value is built: aliases (``*name``) may
      add at most :data:`MAX_ALIAS_EXPANSION` values to the file's own (the "billion
      laughs" bomb expands to 10**9 and is refused), an alias inside its own anchor
      (``&x [*x]``) is refused, nesting deeper than :data:`MAX_DEPTH` levels is refused;
    * duplicate mapping keys are refused with both lines (YAML 1.2 requires unique
      keys; PyYAML silently keeps the last one);
    * an impossible date (``2025-13-01``) is reported with its line.

xlsx (:func:`check_xlsx`)
    An ``.xlsx`` workbook is a zip archive. Before openpyxl opens it, the archive's
    central directory is read (it is small) and the workbook refused when it is
    larger than :data:`MAX_XLSX_BYTES`, has more than :data:`MAX_XLSX_MEMBERS`
    members, or declares more than :data:`MAX_XLSX_UNCOMPRESSED` bytes of content.
    :mod:`zipfile` never inflates a member beyond its declared size, so the declared
    sizes bound what openpyxl can read.

References
----------
.. [1] YAML Ain't Markup Language version 1.2.2, section 3.2.1.1 (mapping keys are
   unique): https://yaml.org/spec/1.2.2/
.. [2] PyYAML documentation, "Loader" and libyaml bindings (``CSafeLoader``):
   https://pyyaml.org/wiki/PyYAMLDocumentation
.. [3] Python documentation, ``zipfile`` - "Decompression pitfalls" (zip bombs):
   https://docs.python.org/3/library/zipfile.html#decompression-pitfalls
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import yaml

from kmmodel.errors import KmmodelError, Problem, SchemeError

__all__ = [
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_UNCOMPRESSED",
    "MAX_YAML_BYTES",
    "check_xlsx",
    "load_yaml",
    "read_yaml",
]

#: largest YAML file read [bytes] (the shipped schemes are under 10 kB)
MAX_YAML_BYTES = 1024 * 1024
#: values aliases may add to a YAML file beyond the values written in it [-]
MAX_ALIAS_EXPANSION = 100_000
#: deepest nesting of lists and mappings in a YAML file [levels]
MAX_DEPTH = 64
#: largest .xlsx file read [bytes] (the shipped indicator workbook is 8 kB)
MAX_XLSX_BYTES = 10 * 1024 * 1024
#: most members (parts) in an .xlsx archive [-]
MAX_XLSX_MEMBERS = 2_000
#: largest declared uncompressed content of an .xlsx archive, all members [bytes]
MAX_XLSX_UNCOMPRESSED = 20 * 1024 * 1024

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def _line(node) -> str:
    mark = getattr(node, "start_mark", None)
    return f"line {mark.line + 1}" if mark is not None else ""


def _check_nodes(root, loader, keys_as_text: bool) -> list[Problem]:
    """Walk the node graph once (iteratively): expansion, cycles, depth, keys, dates."""
    problems: list[Problem] = []
    size: dict[int, int] = {}  # id(node) -> number of values it expands to
    on_path: set[int] = set()
    unique = 0
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, leaving = stack.pop()
        nid = id(node)
        if isinstance(node, yaml.ScalarNode):
            children = []
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [n for pair in node.value for n in pair]
        if leaving:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in children)
            continue
        if nid in size:
            continue  # a shared node (an alias target) already measured
        if nid in on_path:
            return [
                Problem(
                    "an alias (*name) refers to the anchor (&name) that contains it, "
                    "so the value would be infinite",
                    _line(node),
                )
            ]
        if depth > MAX_DEPTH:
            return [Problem(f"nested more than {MAX_DEPTH} levels deep", _line(node))]
        unique += 1
        if isinstance(node, yaml.ScalarNode):
            size[nid] = 1
            if node.tag == _TIMESTAMP:
                try:
                    loader.construct_yaml_timestamp(node)
                except ValueError as exc:
                    problems.append(
                        Problem(
                            f"{node.value!r} is not a valid date (YYYY-MM-DD): {exc}", _line(node)
                        )
                    )
            continue
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], Any] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                if keys_as_text:
                    key.tag = _STR
                k = (key.tag, key.value)
                if k in seen:
                    problems.append(
                        Problem(
                            f"duplicate key {key.value!r} (first given on {_line(seen[k])}); "
                            "give each key once",
                            _line(key),
                        )
                    )
                else:
                    seen[k] = key
        on_path.add(nid)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(children))
    total = size[id(root)]
    if total - unique > MAX_ALIAS_EXPANSION:
        problems.insert(
            0,
            Problem(
                f"aliases (*name) expand the file's {unique:,} values to {total:,}; at most "
                f"{MAX_ALIAS_EXPANSION:,} values may come from aliases (an alias bomb?)"
            ),
        )
    return problems


def load_yaml(
    text: str | bytes,
    source: str,
    error: type[KmmodelError] = SchemeError,
    keys_as_text: bool = False,
) -> Any:
    """Parse YAML text safely and within bounds (see the module docstring).

    Parameters
    ----------
    text : str or bytes
        The YAML document (bytes are decoded as UTF-8).
    source : str
        File name (or ``--param``) used in messages.
    error : type
        Error class raised (a :class:`~kmmodel.errors.KmmodelError`).
    keys_as_text : bool
        Read every mapping key as text as written (``03`` stays ``"03"``, not the
        YAML 1.1 octal 3).

    Returns
    -------
    object
        The document's value (``None`` for an empty document).

    Raises
    ------
    KmmodelError
        Of class ``error``: not YAML, an alias bomb, self-reference, too deep, duplicate
        keys, impossible dates, not UTF-8, too large.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise error(f"not UTF-8 text (byte {exc.start})", source=source) from None
    if len(text) > MAX_YAML_BYTES:
        raise error(f"larger than {_mb(MAX_YAML_BYTES)}; refusing to read it", source=source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _check_nodes(node, loader, keys_as_text)
        if problems:
            raise error(problems, source=source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        err = error(f"{at}not valid YAML ({getattr(exc, 'problem', None) or exc})", source=source)
        err.kind = "syntax"
        raise err from None
    except RecursionError:
        raise error(f"nested more than {MAX_DEPTH} levels deep", source=source) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar constructor gave up
        if isinstance(exc, KmmodelError):
            raise
        raise error(f"not valid YAML ({exc})", source=source) from None
    finally:
        loader.dispose()


def read_yaml(
    path: str | os.PathLike,
    error: type[KmmodelError] = SchemeError,
    keys_as_text: bool = False,
    source: str | None = None,
) -> Any:
    """Read a YAML file with :func:`load_yaml`, refusing files above :data:`MAX_YAML_BYTES`.

    Raises
    ------
    KmmodelError
        Of class ``error``, also for a missing or unreadable file.
    """
    path = Path(path)
    src = source or str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise error("file not found", source=src) from None
    except IsADirectoryError:
        raise error("is a folder, not a YAML file", source=src) from None
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", source=src) from None
    if len(data) > MAX_YAML_BYTES:
        raise error(f"larger than {_mb(MAX_YAML_BYTES)}; refusing to read it", source=src)
    return load_yaml(data, src, error=error, keys_as_text=keys_as_text)


def check_xlsx(path: str | os.PathLike, error: type[KmmodelError] = SchemeError) -> None:
    """Refuse an ``.xlsx`` file that is too large or a zip bomb, before openpyxl opens it.

    Parameters
    ----------
    path : path
        The workbook.
    error : type
        Error class raised.

    Raises
    ------
    KmmodelError
        Of class ``error``: missing, not a zip archive, larger than
        :data:`MAX_XLSX_BYTES`, more than :data:`MAX_XLSX_MEMBERS` members, or more than
        :data:`MAX_XLSX_UNCOMPRESSED` bytes declared uncompressed.
    """
    path = Path(path)
    src = str(path)
    try:
        n_bytes = path.stat().st_size
    except FileNotFoundError:
        raise error("file not found", source=src) from None
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", source=src) from None
    if path.is_dir():
        raise error("is a folder, not an .xlsx workbook", source=src)
    if n_bytes > MAX_XLSX_BYTES:
        raise error(
            f"the file is {_mb(n_bytes)}, larger than the {_mb(MAX_XLSX_BYTES)} an indicator "
            "workbook may have",
            source=src,
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise error(f"not a readable .xlsx workbook ({exc})", source=src) from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise error(
            f"the archive has {len(infos):,} parts; an .xlsx workbook may have at most "
            f"{MAX_XLSX_MEMBERS:,}",
            source=src,
        )
    declared = sum(i.file_size for i in infos)
    if declared > MAX_XLSX_UNCOMPRESSED:
        big = max(infos, key=lambda i: i.file_size)
        raise error(
            f"the archive unpacks to {_mb(declared)} (part {big.filename!r}: "
            f"{_mb(big.file_size)} from {big.compress_size:,} bytes); at most "
            f"{_mb(MAX_XLSX_UNCOMPRESSED)} is read (a zip bomb?)",
            source=src,
        )
