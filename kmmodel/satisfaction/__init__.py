"""Satisfaction regressions: survey models, key drivers, importance-performance.

Placeholder export list completed below.
"""
