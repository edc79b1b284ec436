"""Errors the assistant reports to the person asking: ``str(err)`` is one line saying what is wrong
and what to do. Light to import, so the CLI can catch them without loading the model."""

from __future__ import annotations


class QuestionRefused(ValueError):
    """A question the assistant will not take (empty, or longer than the setting)."""


class AnswerOverBudget(Exception):
    """An answer ran past ``answer_budget_s`` and was stopped between two of its stages."""
