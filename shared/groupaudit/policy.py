"""The tenant's policy file: defaults, profiles per group kind, overrides per group.

Layers merge in this order, later winning key by key:

    built-in defaults (POLICY_RULES.md) < built-in profiles < file ``defaults``
        < file ``profiles.<kind>`` < file ``groups.<group id>``

Each layer of the file is validated on its own, so an error names where it was written
(``profiles.company.rules.inactive_member.inactive_dayz``) and an unknown key suggests the
nearest valid one.
"""

from __future__ import annotations

import copy
import difflib
from datetime import date, time
from functools import cache, cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from groupaudit.contracts import GROUP_KINDS
from groupaudit.errors import InputError, Problem
from groupaudit.rules import REGISTRY

POLICY_VERSION = 1


class CalendarConfig(BaseModel):
    """When the business clock runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field("Asia/Shanghai", description="IANA time zone of the working hours")
    working_hours: tuple[str, ...] = Field(
        ("09:00-12:00", "13:30-18:00"), description="working periods of a working day, HH:MM-HH:MM"
    )
    workdays: Literal["cn", "weekdays"] = Field(
        "cn", description="cn: Chinese public calendar with 调休 make-up days; weekdays: Mon-Fri"
    )
    extra_holidays: tuple[date, ...] = Field((), description="company days off on top of the public calendar")
    extra_workdays: tuple[date, ...] = Field(
        (), description="company working days on top of the public calendar"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @field_validator("working_hours")
    @classmethod
    def _periods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parsed = [_parse_period(item) for item in value]
        if not parsed:
            raise ValueError("at least one working period is needed")
        ordered = sorted(parsed)
        for (_, end), (start, _) in pairwise(ordered):
            if start < end:
                raise ValueError("working periods overlap")
        return value

    @property
    def periods(self) -> list[tuple[time, time]]:
        return [_parse_period(item) for item in self.working_hours]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse_period(text: str) -> tuple[time, time]:
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"working period {text!r} is not HH:MM-HH:MM") from None
    if start >= end:
        raise ValueError(f"working period {text!r} ends before it starts")
    return start, end


def _rules_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        spec.id: (spec.config, Field(default_factory=spec.config, description=spec.title_en))
        for spec in REGISTRY.values()
    }
    return create_model("Rules", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


RulesModel = _rules_model()


class Policy(BaseModel):
    """The effective policy of one group: every setting with its value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    rules: RulesModel = Field(default_factory=RulesModel)  # type: ignore[valid-type]

    def rule(self, rule_id: str) -> Any:
        return getattr(self.rules, rule_id)

    @cached_property
    def business_calendar(self) -> Any:
        from groupaudit.businesstime import BusinessCalendar, chinese_workday_rule, weekday_rule

        cal = self.calendar
        make_rule = chinese_workday_rule if cal.workdays == "cn" else weekday_rule
        return BusinessCalendar(cal.zone, cal.periods, make_rule(cal.extra_holidays, cal.extra_workdays))


# The all-staff group is a broadcast channel: nobody is expected to speak there.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "company": {"rules": {"inactive_member": {"enabled": False}}},
}


class PolicyDocument(BaseModel):
    """The file's outline; each layer's content is validated against ``Policy`` separately."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = POLICY_VERSION
    defaults: dict[str, Any] = Field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = Field(default_factory=dict)


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class PolicySet:
    """A validated policy file, resolving the effective policy of any group."""

    def __init__(self, document: PolicyDocument, source: str = "built-in defaults") -> None:
        self.document = document
        self.source = source
        problems: list[Problem] = []
        for kind in document.profiles:
            if kind not in GROUP_KINDS:
                problems.append(
                    Problem(f"profiles.{kind}", "unknown group kind" + _suggestion(kind, GROUP_KINDS))
                )
        defaults_problems = _validate_layer(_builtin_dict(), document.defaults, "defaults")
        problems += defaults_problems
        # Later layers are checked on top of valid defaults only, so that a problem in the
        # defaults is reported once, where it was written, and not again in every layer.
        self._defaults = {} if defaults_problems else document.defaults
        for kind, layer in document.profiles.items():
            problems += _validate_layer(self._below(kind), layer, f"profiles.{kind}")
        for group_id, layer in document.groups.items():
            problems += _validate_layer(self._below(None), layer, f"groups.{group_id}")
        if problems:
            raise InputError(source, problems)

    def _below(self, kind: str | None) -> dict[str, Any]:
        """Built-in defaults, the built-in profile of ``kind``, then the file's defaults."""
        builtin = deep_merge(_builtin_dict(), BUILTIN_PROFILES.get(kind or "other", {}))
        return deep_merge(builtin, self._defaults)

    def effective_dict(self, group_kind: str | None = None, group_id: str | None = None) -> dict[str, Any]:
        kind = group_kind or "other"
        merged = deep_merge(self._below(kind), self.document.profiles.get(kind, {}))
        if group_id is not None:
            merged = deep_merge(merged, self.document.groups.get(group_id, {}))
        return merged

    def for_group(self, group_kind: str | None = None, group_id: str | None = None) -> Policy:
        return _cached_policy(_freeze(self.effective_dict(group_kind, group_id)))


@cache
def _builtin_dict() -> dict[str, Any]:
    return Policy().model_dump(mode="json")


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("__list__", *(_freeze(v) for v in value))
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        if value and value[0] == "__list__":
            return [_thaw(v) for v in value[1:]]
        return {k: _thaw(v) for k, v in value}
    return value


@cache
def _cached_policy(frozen: Any) -> Policy:
    return Policy.model_validate(_thaw(frozen))


def _validate_layer(base: dict[str, Any], layer: dict[str, Any], where: str) -> list[Problem]:
    try:
        Policy.model_validate(deep_merge(base, layer))
    except ValidationError as exc:
        return [_problem(error, where) for error in exc.errors()]
    return []


def _problem(error: Any, prefix: str) -> Problem:
    loc = [str(part) for part in error["loc"]]
    path = ".".join([prefix, *loc]) if prefix else ".".join(loc)
    if error["type"] == "extra_forbidden":
        return Problem(path, "unknown key" + _suggestion(loc[-1], _fields_at(Policy, loc[:-1])))
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return Problem(path, message)


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _suggestion(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid keys: {', '.join(candidates)}" if candidates else ""


def parse_policy(data: Any, source: str) -> PolicySet:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(source, [Problem("", "expected a mapping at the top level")])
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            if error["type"] == "extra_forbidden":
                fields = list(PolicyDocument.model_fields)
                problems.append(Problem(".".join(loc), "unknown key" + _suggestion(loc[-1], fields)))
            else:
                problems.append(Problem(".".join(loc), error["msg"]))
        raise InputError(source, problems) from None
    return PolicySet(document, source)


def load_policy(path: str | Path | None) -> PolicySet:
    """The policy in ``path``, or the built-in defaults when no file is given."""
    if path is None:
        return PolicySet(PolicyDocument())
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(source, [Problem("", "policy file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, [Problem("", f"cannot read policy file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(
            source, [Problem("", f"invalid YAML: {where}{getattr(exc, 'problem', exc)}")]
        ) from None
    return parse_policy(data, source)


def load_policy_layer(path: str | Path, group_id: str) -> dict[str, Any]:
    """A YAML file holding one group's overrides (``rules: ...``), checked like a group layer."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(source, [Problem("", "overrides file not found")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(source, [Problem("", f"cannot read overrides: {exc}")]) from None
    if not isinstance(data, dict):
        raise InputError(source, [Problem("", "expected a mapping at the top level")])
    parse_policy({"groups": {group_id: data}}, source)
    return data


def dump_policy(policy_dict: dict[str, Any]) -> str:
    return yaml.safe_dump(policy_dict, allow_unicode=True, sort_keys=False, default_flow_style=False)
