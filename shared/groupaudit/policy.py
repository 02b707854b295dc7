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
import re
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from groupaudit.contracts import GROUP_KINDS
from groupaudit.discipline.config import SanctionsConfig
from groupaudit.errors import InputError, Problem
from groupaudit.loading import load_yaml
from groupaudit.rules import REGISTRY
from groupaudit.rules.context import FilesConfig, NamesConfig

if TYPE_CHECKING:
    from groupaudit.businesstime import BusinessCalendar, ChineseWorkdays, Weekdays, YearArrangement

POLICY_VERSION: Final = 1

_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE_TEXT = re.compile(f"^{_DATE}$")
_SPAN_HELP = "write a date (YYYY-MM-DD) or a range of dates (YYYY-MM-DD/YYYY-MM-DD)"


def _one_date(text: str, help_text: str = "write a date (YYYY-MM-DD)") -> date:
    if not _DATE_TEXT.match(text):
        raise ValueError(f"{text!r} is not a date; {help_text}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the calendar") from None


def _day_text(value: Any) -> str:
    """A date (YAML gives date objects for unquoted dates) as its YYYY-MM-DD text."""
    if isinstance(value, datetime):
        raise ValueError(f"{value.isoformat()} has a time of day; write a date (YYYY-MM-DD)")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError("expected a date (YYYY-MM-DD)")
    return _one_date(value.strip()).isoformat()


def _span_text(value: Any) -> str:
    """A date or a range ``first/last`` (ISO 8601 interval of dates), both ends included."""
    if isinstance(value, str) and "/" in value:
        first_text, _, last_text = (part.strip() for part in value.partition("/"))
        first, last = _one_date(first_text, _SPAN_HELP), _one_date(last_text, _SPAN_HELP)
        if last < first:
            raise ValueError(f"range {value!r} ends before it starts")
        return f"{first.isoformat()}/{last.isoformat()}"
    if isinstance(value, str):
        return _one_date(value.strip(), _SPAN_HELP).isoformat()
    if isinstance(value, date):
        return _day_text(value)
    raise ValueError(f"expected a date or a range; {_SPAN_HELP}")


def span_days(text: str) -> list[date]:
    """The days of a validated ``YYYY-MM-DD`` or ``YYYY-MM-DD/YYYY-MM-DD``."""
    first_text, _, last_text = text.partition("/")
    first = date.fromisoformat(first_text)
    last = date.fromisoformat(last_text) if last_text else first
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


Day = Annotated[
    date,
    BeforeValidator(_day_text),
    WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD"}),
]
DaySpan = Annotated[
    str,
    BeforeValidator(_span_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_DATE}(/{_DATE})?$",
            "description": "a date YYYY-MM-DD, or a range of dates YYYY-MM-DD/YYYY-MM-DD (both included)",
        }
    ),
]
_FIRST_YEAR, _LAST_YEAR = 1950, 2100


class YearConfig(BaseModel):
    """One year's State Council holiday arrangement (国务院办公厅关于部分节假日安排的通知)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    holidays: tuple[DaySpan, ...] = Field(
        description="every day off of the arrangement, dates or ranges (2027-02-06/2027-02-12); "
        "weekends inside a range may be listed",
    )
    workdays: tuple[Day, ...] = Field((), description="the weekend make-up workdays (调休上班)")
    source: str | None = Field(
        None, description="where the arrangement comes from: the notice's title or URL"
    )

    @field_validator("holidays")
    @classmethod
    def _some_days_off(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("no day off listed; an arrangement gives its holidays (at least New Year's Day)")
        return value

    def days_off(self) -> list[date]:
        return [day for span in self.holidays for day in span_days(span)]


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
    years: dict[int, YearConfig] = Field(
        default_factory=dict,
        description="workdays cn: the holiday arrangement of a year, which replaces the holidays "
        "library's for that year and makes the year confirmed (2027: {holidays: [...], workdays: [...]})",
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]{4}$"}},
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

    @field_validator("years", mode="before")
    @classmethod
    def _year_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # pydantic says what is wrong with it
        seen: dict[int, Any] = {}
        errors: list[InitErrorDetails] = []
        for key in value:
            year = key if isinstance(key, int) and not isinstance(key, bool) else None
            if isinstance(key, str) and key.strip().isdigit():
                year = int(key)
            if year is None or not _FIRST_YEAR <= year <= _LAST_YEAR:
                errors.append(
                    _error((key,), f"{key!r} is not a year from {_FIRST_YEAR} to {_LAST_YEAR}", key)
                )
            elif year in seen:
                errors.append(_error((key,), f"year {year} is given twice ({seen[year]!r} and {key!r})", key))
            else:
                seen[year] = key
        if errors:
            raise ValidationError.from_exception_data("years", errors)
        return value

    @field_validator("years")
    @classmethod
    def _arrangements(cls, years: dict[int, YearConfig]) -> dict[int, YearConfig]:
        """Each day of a year's arrangement lies in that year (or in the last week of the
        December before: a New Year's Day holiday can start there); no day is both off and on;
        make-up workdays are weekend days (a weekday is a working day anyway)."""
        errors: list[InitErrorDetails] = []
        off: dict[date, str] = {}  # day -> where it was listed

        def outside(year: int) -> str:
            return f"is outside {year} (days of its arrangement lie in it, or from {year - 1}-12-25 on)"

        def within(year: int, first: date, last: date) -> bool:
            return date(year - 1, 12, 25) <= first and last <= date(year, 12, 31)

        for year, arrangement in sorted(years.items()):
            for index, span in enumerate(arrangement.holidays):
                days = span_days(span)
                if not within(year, days[0], days[-1]):
                    errors.append(_error((year, "holidays", index), f"{span} {outside(year)}", span))
                    continue
                for day in days:
                    off.setdefault(day, f"years.{year}.holidays")
        for year, arrangement in sorted(years.items()):
            for index, day in enumerate(arrangement.workdays):
                where, text = (year, "workdays", index), day.isoformat()
                if not within(year, day, day):
                    errors.append(_error(where, f"{day} {outside(year)}", text))
                elif day in off:
                    errors.append(_error(where, f"{day} is also a day off in {off[day]}", text))
                elif day.weekday() < 5:
                    message = (
                        f"{day} is a {day:%A}, a working day anyway; workdays lists the weekend "
                        "days worked in exchange (调休上班)"
                    )
                    errors.append(_error(where, message, text))
        if errors:
            raise ValidationError.from_exception_data("years", errors)
        return years

    @property
    def periods(self) -> list[tuple[time, time]]:
        return [_parse_period(item) for item in self.working_hours]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def arrangements(self) -> list[YearArrangement]:
        from groupaudit.businesstime import YearArrangement

        return [
            YearArrangement(
                year=year,
                holidays=frozenset(config.days_off()),
                workdays=frozenset(config.workdays),
                source=config.source,
            )
            for year, config in sorted(self.years.items())
        ]

    def workday_rule(self) -> ChineseWorkdays | Weekdays:
        """The working-day rule of this calendar (``years`` apply to the cn calendar only)."""
        from groupaudit.businesstime import chinese_workday_rule, weekday_rule

        if self.workdays == "weekdays":
            return weekday_rule(self.extra_holidays, self.extra_workdays)
        return chinese_workday_rule(self.extra_holidays, self.extra_workdays, self.arrangements())


def _error(loc: tuple[Any, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("calendar", "{message}", {"message": message}), loc=loc, input=value
    )


def _parse_period(text: str) -> tuple[time, time]:
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"working period {text!r} is not HH:MM-HH:MM") from None
    if start >= end:
        raise ValueError(f"working period {text!r} ends before it starts")
    return start, end


def _rule_field(spec: Any) -> Any:
    """A rule's policy key: its title and clause, and what its examples fire on (RULES.md has
    them in full); the schema's ``examples`` are the settings those examples use."""
    fires = "; ".join(e.title for e in spec.examples if e.fires)
    quiet = "; ".join(e.title for e in spec.examples if not e.fires)
    description = f"{spec.title_en} ({spec.policy_ref}). Fires on: {fires}. Not on: {quiet}."
    settings = [dict(e.settings) for e in spec.examples if e.settings]
    return Field(default_factory=spec.config, description=description, examples=settings or None)


def _rules_model() -> type[BaseModel]:
    fields: dict[str, Any] = {spec.id: (spec.config, _rule_field(spec)) for spec in REGISTRY.values()}
    return create_model("Rules", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


RulesModel = _rules_model()


class Policy(BaseModel):
    """The effective policy of one group: every setting with its value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    files: FilesConfig = Field(
        default_factory=FilesConfig,
        description="what the file rules share: which files are important, version markers",
    )
    names: NamesConfig = Field(
        default_factory=NamesConfig,
        description="what the member and file rules share: how a display name splits into 部门+姓名",
    )
    rules: RulesModel = Field(default_factory=RulesModel)  # type: ignore[valid-type]
    sanctions: SanctionsConfig = Field(
        default_factory=SanctionsConfig,
        description="the discipline ledger and appeals (003 第五章 2, 002 六(三)): tenant-wide, set under "
        "defaults only (docs/SUPERVISION.md)",
    )

    def rule(self, rule_id: str) -> Any:
        return getattr(self.rules, rule_id)

    @cached_property
    def business_calendar(self) -> BusinessCalendar:
        from groupaudit.businesstime import BusinessCalendar

        cal = self.calendar
        return BusinessCalendar(cal.zone, cal.periods, cal.workday_rule())


def _builtin_profiles() -> dict[str, dict[str, Any]]:
    """Each rule's settings per group kind (``RuleSpec.profiles``), e.g. the all-staff group is a
    broadcast channel where ``inactive_member`` is off."""
    profiles: dict[str, dict[str, Any]] = {}
    for spec in REGISTRY.values():
        for kind, settings in spec.profiles.items():
            profiles.setdefault(kind, {"rules": {}})["rules"][spec.id] = dict(settings)
    return profiles


BUILTIN_PROFILES: dict[str, dict[str, Any]] = _builtin_profiles()


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

    def __init__(
        self,
        document: PolicyDocument,
        source: str = "built-in defaults",
        deprecations: list[Problem] | None = None,
    ) -> None:
        self.document = document
        self.source = source
        # Keys still accepted but written the old way (each says where it belongs now).
        self.deprecations = deprecations or []
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
        for section, layers in (("profiles", document.profiles), ("groups", document.groups)):
            for where, layer in layers.items():  # one person's history spans every group
                if "sanctions" in layer:
                    problems.append(
                        Problem(f"{section}.{where}.sanctions", "tenant-wide: set it under defaults")
                    )
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

    def tenant_policy(self) -> Policy:
        """Built-in defaults and the file's ``defaults``: what tenant-wide sections (``sanctions``)
        and their calendar are read from."""
        return _cached_policy(_freeze(deep_merge(_builtin_dict(), self._defaults)))


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
    parts = iter(loc)
    for part in parts:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if get_origin(annotation) is dict:  # a mapping of models (calendar.years): skip the key
            annotation = get_args(annotation)[1]
            if next(parts, None) is None:
                return []
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _suggestion(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid keys: {', '.join(candidates)}" if candidates else ""


def _years_as_numbers(data: dict[str, Any]) -> dict[str, Any]:
    """Every layer's ``calendar.years`` keyed by numbers. YAML reads ``2027:`` as a number, JSON
    (the registry's overrides) has "2027": one year, which must merge across layers (later
    wins, key by key), not become two keys."""

    def fix(layer: Any) -> Any:
        calendar = layer.get("calendar") if isinstance(layer, dict) else None
        if not isinstance(calendar, dict) or not isinstance(calendar.get("years"), dict):
            return layer
        years: dict[Any, Any] = {}
        for key, value in calendar["years"].items():
            year = int(key) if isinstance(key, str) and key.strip().isdigit() else key
            earlier = years.get(year)
            if isinstance(earlier, dict) and isinstance(value, dict):
                years[year] = deep_merge(earlier, value)
            else:
                years[year] = value
        return {**layer, "calendar": {**calendar, "years": years}}

    fixed = dict(data)
    if "defaults" in fixed:
        fixed["defaults"] = fix(fixed["defaults"])
    for section in ("profiles", "groups"):
        if isinstance(fixed.get(section), dict):
            fixed[section] = {name: fix(layer) for name, layer in fixed[section].items()}
    return fixed


# Settings that moved out of a rule into a shared section: (rule, key) -> section.
MOVED_KEYS: dict[tuple[str, str], str] = {
    ("unbacked_document", "important_name_patterns"): "files",
    ("unbacked_document", "important_min_bytes"): "files",
    ("unbacked_document", "document_extensions"): "files",
    ("stale_file", "version_markers"): "files",
    ("name_format", "separators"): "names",
}


def _moved_keys(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem], list[Problem]]:
    """Keys written where they used to live (``rules.unbacked_document.important_min_bytes``)
    are read from their new section (``files.important_min_bytes``), with a deprecation each;
    both in one layer is an error, since one of them would silently lose."""
    deprecations: list[Problem] = []
    problems: list[Problem] = []

    def fix(layer: Any, where: str) -> Any:
        rules = layer.get("rules") if isinstance(layer, dict) else None
        if not isinstance(rules, dict):
            return layer
        layer, rules = dict(layer), dict(rules)
        for (rule_id, key), section in MOVED_KEYS.items():
            settings = rules.get(rule_id)
            if not isinstance(settings, dict) or key not in settings:
                continue
            old, new = f"{where}rules.{rule_id}.{key}", f"{where}{section}.{key}"
            target = layer.get(section)
            target = dict(target) if isinstance(target, dict) else {}
            if key in target:
                problems.append(Problem(old, f"given twice: here and as {new} (keep {new})"))
                continue
            target[key] = settings[key]
            rules[rule_id] = {k: v for k, v in settings.items() if k != key}
            layer[section] = target
            deprecations.append(Problem(old, f"deprecated: moved to {new}; read from there"))
        layer["rules"] = rules
        return layer

    fixed = dict(data)
    if "defaults" in fixed:
        fixed["defaults"] = fix(fixed["defaults"], "defaults.")
    for section in ("profiles", "groups"):
        if isinstance(fixed.get(section), dict):
            layers = fixed[section].items()
            fixed[section] = {name: fix(layer, f"{section}.{name}.") for name, layer in layers}
    return fixed, deprecations, problems


def parse_policy(data: Any, source: str) -> PolicySet:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(source, [Problem("", "expected a mapping at the top level")])
    data = _years_as_numbers(data)
    data, deprecations, problems = _moved_keys(data)
    if problems:
        raise InputError(source, problems)
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
    return PolicySet(document, source, deprecations)


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
        data = load_yaml(text, source)  # its nesting checked first
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(
            source, [Problem("", f"invalid YAML: {where}{getattr(exc, 'problem', exc)}")]
        ) from None
    return parse_policy(data, source)


def load_policy_layer(path: str | Path) -> dict[str, Any]:
    """A YAML file holding one group's overrides (``rules: ...``): read, its nesting and outline
    checked; its keys are checked against the group's kind where it is registered
    (``pipeline.api.overrides_problems``, the same check for the API and the CLI)."""
    source = str(path)
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"), source) or {}
    except FileNotFoundError:
        raise InputError(source, [Problem("", "overrides file not found")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(source, [Problem("", f"cannot read overrides: {exc}")]) from None
    if not isinstance(data, dict):
        raise InputError(source, [Problem("", "expected a mapping at the top level")])
    return data


def dump_policy(policy_dict: dict[str, Any]) -> str:
    return yaml.safe_dump(policy_dict, allow_unicode=True, sort_keys=False, default_flow_style=False)
