"""``kmmodel appraise``: see :mod:`kmmodel.costbenefit.cli`."""

from kmmodel.costbenefit.cli import COMMAND, HELP, ORDER, register, run  # noqa: F401
