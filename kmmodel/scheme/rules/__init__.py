"""Scoring-rule types: one class per type, listed in a registry.

A rule turns an indicator's observed value into an *achievement* share in [0, 1]
(the indicator's points are ``achievement × points``), or triggers a veto, or adds a
bonus / penalty. Each type is one pydantic class that owns its validation, its
vectorised computation, its ``explain`` text, its uncertainty parameters and its Excel
text form (see :mod:`kmmodel.scheme.rules.base`); the built-in types are in
:mod:`kmmodel.scheme.rules.builtin`.

The home is inside :mod:`kmmodel.scheme` because a rule is part of the scheme's data:
it is validated when the scheme is loaded, and every layer above (scoring, explain,
uncertainty, Excel, reforms) reads it from the registry.

Adding a rule type
------------------
Write one class and register it::

    from typing import ClassVar, Literal
    import numpy as np
    from kmmodel.scheme.rules import Number, ScoredRule, register_rule

    @register_rule
    class AtLeastRule(ScoredRule):
        type: Literal["at_least"]
        threshold: Number
        share: Number = 1.0
        parameters: ClassVar[tuple[str, ...]] = ("threshold",)

        @classmethod
        def achievement(cls, V, inds, groups):
            th = np.array([i.rule.threshold for i in inds])[None, :]
            sh = np.array([i.rule.share for i in inds])[None, :]
            return np.where(np.isnan(V), np.nan, np.where(V >= th, sh, 0.0))

Schemes can then use ``rule: {type: at_least, threshold: 0.9}`` in YAML or
``at_least threshold=0.9`` in the Excel 规则 column; ``explain``, the uncertainty
analysis (``threshold`` is perturbed) and reforms work with it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import SerializeAsAny, WrapValidator

from kmmodel.scheme.rules import builtin
from kmmodel.scheme.rules.base import (
    RULE_TYPES,
    AdjustmentKind,
    Number,
    RuleBase,
    ScoredRule,
    VetoKind,
    register_rule,
    rule_class,
    rule_kind,
    unregister_rule,
    validate_rule,
)
from kmmodel.scheme.rules.builtin import FORMULA_NAMES

__all__ = [
    "FORMULA_NAMES",
    "RULE_TYPES",
    "AdjustmentKind",
    "Number",
    "Rule",
    "RuleBase",
    "ScoredRule",
    "VetoKind",
    "builtin",
    "parameters_by_type",
    "register_rule",
    "rule_class",
    "rule_kind",
    "unregister_rule",
    "validate_rule",
]


def _dispatch(value, handler):
    return validate_rule(value)


#: the field type of ``Indicator.rule``: any registered rule, chosen by its ``type``
Rule = Annotated[SerializeAsAny[RuleBase], WrapValidator(_dispatch)]


class _ParametersByType(Mapping):
    """Live view: rule type -> its perturbable parameters (types that have some)."""

    def _items(self) -> dict[str, tuple[str, ...]]:
        return {k: c.parameters for k, c in RULE_TYPES.items() if c.parameters}

    def __getitem__(self, key):
        return self._items()[key]

    def __iter__(self):
        return iter(self._items())

    def __len__(self):
        return len(self._items())

    def __repr__(self):
        return repr(self._items())


#: rule type -> parameters the uncertainty analysis perturbs (a live view of the registry)
parameters_by_type: Mapping[str, tuple[str, ...]] = _ParametersByType()
