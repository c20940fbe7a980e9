"""Versioned rule packs per jurisdiction, and the registry a bank's configuration picks from.

Each pack is data: rules (``rules.py``) in evaluation order plus a source note per rule id. The
figures come from the domain brief's contact and visit rules (``shared/domain.md`` §3); where a
figure is Doorstep's own reading rather than the source's, the note says so.

Rule ids are ``<pack prefix>.<source>.<what>``; a decision names the pack id and version and the
rule id, so a decision log can always be traced to the text it applied. Change a pack's rules →
bump its version; old versions stay registered for replaying old decisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from doorstep_shared.contact_rules.model import Channel, HoldType
from doorstep_shared.contact_rules.rules import (
    ALL_CHANNELS,
    TIMED_CHANNELS,
    CeaseContactRule,
    Counted,
    DailyCapRule,
    HoldRule,
    LocalHoursRule,
    MinuteRange,
    OptOutRequirement,
    PreferredHoursRule,
    PublicHolidayRule,
    RefusedChannelRule,
    Requirement,
    ResolvedRule,
    RollingCapRule,
    Rule,
    SuppressionRule,
    TimeRule,
    every_day,
    hm,
)

_VERSION = re.compile(r"^\d{4}\.\d+$")
_PACK_ID = re.compile(r"^[A-Z]{2}(-[A-Z]{2})?$")

_DOORSTEP_POLICY = (
    "Doorstep policy, not a pack-specific legal text: a resolved case is not collected, any "
    "hold (domain glossary: dispute, hardship, cease-contact, moratorium, bankruptcy, "
    "deceased) freezes every channel at once"
)


class UnknownPackError(LookupError):
    """No registered pack (or pack version) has that name."""


@dataclass(frozen=True)
class RulePack:
    """The rules binding one jurisdiction, in evaluation order, with a source note per rule."""

    id: str  # "US-MA"
    version: str  # "2026.1": year + revision
    country: str  # ISO 3166-1 alpha-2 for the holiday calendar ("GB" for the UK pack)
    title: str
    rules: tuple[Rule, ...]
    sources: Mapping[str, str]  # rule id -> where it comes from
    _ids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _PACK_ID.match(self.id):
            raise ValueError(f"pack id {self.id!r} must look like 'US' or 'US-MA'")
        if not _VERSION.match(self.version):
            raise ValueError(f"pack version {self.version!r} must look like '2026.1'")
        ids = [rule.rule_id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"pack {self.id}: duplicate rule ids {duplicates}")
        named = set(ids)
        for rule in self.rules:
            if isinstance(rule, HoldRule):
                named.update(rule.rule_ids_by_hold.values())
        # a sub-national pack reuses its country's rule ids: "US-MA" holds "us." and "us-ma."
        prefixes = tuple({f"{self.prefix}.", f"{self.prefix.split('-')[0]}."})
        for rule_id in named:
            if not rule_id.startswith(prefixes):
                raise ValueError(f"pack {self.id}: rule id {rule_id!r} must start with {prefixes}")
        missing = sorted(named - set(self.sources))
        extra = sorted(set(self.sources) - named)
        if missing or extra:
            raise ValueError(f"pack {self.id}: sources missing for {missing}, unused {extra}")
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "_ids", frozenset(named))

    @property
    def prefix(self) -> str:
        return self.id.lower()

    @property
    def key(self) -> str:
        """``US-MA@2026.1``: how configuration names one exact pack version."""
        return f"{self.id}@{self.version}"

    @property
    def allowed_rule_id(self) -> str:
        return f"{self.prefix}.allowed"

    @property
    def no_window_rule_id(self) -> str:
        return f"{self.prefix}.no_lawful_window"

    @property
    def rule_ids(self) -> frozenset[str]:
        return self._ids

    @property
    def suppression_rules(self) -> tuple[SuppressionRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, SuppressionRule))

    @property
    def time_rules(self) -> tuple[TimeRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, TimeRule))

    @property
    def requirements(self) -> tuple[OptOutRequirement | Requirement, ...]:
        return tuple(
            rule for rule in self.rules if isinstance(rule, OptOutRequirement | Requirement)
        )

    def source_for(self, rule_id: str) -> str:
        """The source note of ``rule_id`` (also for the engine's ``.allowed`` and no-window ids)."""
        if rule_id == self.allowed_rule_id:
            return f"{self.title} {self.version}: no rule of the pack objects"
        if rule_id == self.no_window_rule_id:
            return f"{self.title} {self.version}: the pack's time rules never agree on an instant"
        try:
            return self.sources[rule_id]
        except KeyError:
            raise KeyError(f"pack {self.key} has no rule {rule_id!r}") from None


def _suppressions(
    prefix: str,
    cease_id: str,
    refused_id: str,
    holds: Mapping[str, str] | None = None,
) -> tuple[SuppressionRule, ...]:
    """Resolved, holds, cease-contact, refused channel: in that order, in every pack.

    A ``cease_contact`` hold on the case and the customer's cease-contact preference are the
    same request and report the same rule.
    """
    by_hold = {HoldType.CEASE_CONTACT.value: cease_id, **(holds or {})}
    return (
        ResolvedRule(f"{prefix}.doorstep.resolved"),
        HoldRule(f"{prefix}.doorstep.hold", MappingProxyType(by_hold)),
        CeaseContactRule(cease_id),
        RefusedChannelRule(refused_id),
    )


def _policy_sources(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}.doorstep.resolved": _DOORSTEP_POLICY,
        f"{prefix}.doorstep.hold": _DOORSTEP_POLICY,
    }


def _hours(window: MinuteRange) -> dict[int, tuple[MinuteRange, ...]]:
    return every_day(window)


# --- CN --------------------------------------------------------------------------------------


def _cn() -> RulePack:
    p = "cn"
    rules: tuple[Rule, ...] = (
        *_suppressions(p, f"{p}.doorstep.cease_contact", f"{p}.doorstep.refused_channel"),
        Requirement(
            f"{p}.cba2026.visit_conduct",
            frozenset({Channel.VISIT}),
            "home visit by more than one collector (headcount not confirmed: 'multiple'), "
            "who show ID, enter only with the customer's consent and record the visit "
            "(audio/video); never disclose the debt to anyone else",
        ),
        LocalHoursRule(
            f"{p}.cba2026.night",
            _hours((hm(8), hm(22))),
            TIMED_CHANNELS,
            waivable_by_consent=True,
            label="CN: no collection at night without the customer's consent",
        ),
        PreferredHoursRule(f"{p}.doorstep.preferred_hours"),
        DailyCapRule(
            f"{p}.nifa.3_connected_calls_per_day",
            applies_to=frozenset({Channel.CALL}),
            counted_channels=frozenset({Channel.CALL}),
            counted=Counted.CONVERSATION,
            limit=3,
            what="connected calls",
        ),
        DailyCapRule(
            f"{p}.cba2026.6_unanswered_calls_per_day",
            applies_to=frozenset({Channel.CALL}),
            counted_channels=frozenset({Channel.CALL}),
            counted=Counted.UNANSWERED,
            limit=6,
            what="unanswered call attempts",
        ),
    )
    sources = {
        **_policy_sources(p),
        f"{p}.doorstep.cease_contact": (
            "Doorstep policy: a cease-contact request is a hold (domain glossary); the CN "
            "sources in the domain brief give no cease-contact right of their own"
        ),
        f"{p}.doorstep.refused_channel": (
            "Doorstep policy: honour a channel the customer refused (issue: honour customer "
            "preferences); no CN source in the domain brief"
        ),
        f"{p}.doorstep.preferred_hours": (
            "Doorstep policy (issue: honour customer preferences): contact only inside the "
            "customer's stated preferred hours, on top of the legal hours"
        ),
        f"{p}.cba2026.visit_conduct": (
            "China Banking Association, guideline on collection of personal consumer loans "
            "(30 Jan 2026): home visits by more than one collector showing ID, entry only "
            "with consent — exact headcount NOT confirmed ('multiple'); NIFA convention "
            "(2018) art. 21: record visits (audio/video); CBRC (2011) art. 68, NIFA (2018) "
            "art. 13–14, 18: never disclose the debt"
        ),
        f"{p}.cba2026.night": (
            "China Banking Association guideline (30 Jan 2026); NIFA guideline (May 2024): no "
            "calls, visits or other collection 22:00–08:00 customer-local without the "
            "customer's consent (ContactPreferences.consent_out_of_hours waives it). Applied "
            "to calls, SMS, e-mail and visits; letters are not timed"
        ),
        f"{p}.nifa.3_connected_calls_per_day": (
            "NIFA guideline (2024); national standard announced Mar 2025: at most 3 connected "
            "('effective') calls a day per debtor, AI voice calls included. Counted: calls "
            "with a conversation on the customer's local calendar day. Per debtor: pass the "
            "debtor's contacts across all their debts"
        ),
        f"{p}.cba2026.6_unanswered_calls_per_day": (
            "China Banking Association guideline (2026): at most 6 unanswered call attempts a "
            "day to the same number. Doorstep counts per debtor, not per number (stricter): "
            "calls without a conversation, connected or not, on the local calendar day"
        ),
    }
    return RulePack("CN", "2026.1", "CN", "China (CBA 2026, NIFA)", rules, sources)


# --- US --------------------------------------------------------------------------------------


def _us_rules(p: str) -> tuple[tuple[Rule, ...], dict[str, str]]:
    rules: tuple[Rule, ...] = (
        *_suppressions(
            p,
            f"{p}.1006.6c.cease_communication",
            f"{p}.1006.14h.refused_medium",
            {HoldType.DISPUTE: f"{p}.1006.38.dispute"},
        ),
        OptOutRequirement(
            f"{p}.1006.6e.opt_out",
            frozenset({Channel.EMAIL, Channel.SMS}),
            "the e-mail / text must carry a clear and simple way to opt out of this medium",
        ),
        LocalHoursRule(
            f"{p}.1006.6b1.hours",
            _hours((hm(8), hm(21))),
            TIMED_CHANNELS,
            label="US: no contact before 08:00 or at/after 21:00",
        ),
        PreferredHoursRule(f"{p}.doorstep.preferred_hours"),
        RollingCapRule(
            f"{p}.1006.14b2.seven_calls_in_7_days",
            applies_to=frozenset({Channel.CALL}),
            counted_channels=frozenset({Channel.CALL}),
            counted=Counted.CONNECTED,
            limit=7,
            days=7,
            what="connected calls",
            period_text="7 days",
            excludes_consented=True,
        ),
        RollingCapRule(
            f"{p}.1006.14b2.conversation_wait",
            applies_to=frozenset({Channel.CALL}),
            counted_channels=frozenset({Channel.CALL}),
            counted=Counted.CONVERSATION,
            limit=1,
            days=7,
            what="telephone conversation",
            period_text="7 days",
        ),
    )
    sources = {
        **_policy_sources(p),
        f"{p}.doorstep.preferred_hours": (
            "Doorstep policy (issue: honour customer preferences): contact only inside the "
            "customer's stated preferred hours, on top of the legal hours"
        ),
        f"{p}.1006.38.dispute": (
            "12 CFR 1006.38: a written dispute stops collection of the disputed part until "
            "the debt is verified (Doorstep stops all contact on a 'dispute' hold)"
        ),
        f"{p}.1006.6c.cease_communication": (
            "12 CFR 1006.6(c): after the consumer asks in writing to cease communication, "
            "stop (the domain brief's table does not list it; Doorstep honours any "
            "cease-contact request)"
        ),
        f"{p}.1006.14h.refused_medium": (
            "12 CFR 1006.14(h): honour a consumer's request not to use a medium of communication"
        ),
        f"{p}.1006.6e.opt_out": (
            "12 CFR 1006.6(e): every e-mail and text message carries a clear and simple "
            "opt-out notice"
        ),
        f"{p}.1006.6b1.hours": (
            "12 CFR 1006.6(b)(1): no communication before 08:00 or after 21:00 in the "
            "consumer's local time (21:00 itself is refused). Applied to calls, SMS, e-mail "
            "and visits; letters are not timed. The regulation's consent exception is not "
            "modelled (the domain brief does not give it): never waived"
        ),
        f"{p}.1006.14b2.seven_calls_in_7_days": (
            "12 CFR 1006.14(b)(2)(i), (b)(3): presumed harassment above 7 telephone calls in 7 "
            "consecutive days, per debt; calls that did not connect and calls placed with "
            "prior consent do not count. Doorstep reads 7 days as 7×24 h of elapsed time"
        ),
        f"{p}.1006.14b2.conversation_wait": (
            "12 CFR 1006.14(b)(2)(ii): no telephone call within 7 days after a telephone "
            "conversation about the debt, per debt (7×24 h of elapsed time)"
        ),
    }
    return rules, sources


def _us() -> RulePack:
    rules, sources = _us_rules("us")
    return RulePack("US", "2026.1", "US", "United States (Regulation F)", rules, sources)


def _us_ma() -> RulePack:
    # the federal rules keep their "us." ids (same text, same id); the state rule is "us-ma."
    rules, sources = _us_rules("us")
    ma_cap = RollingCapRule(
        "us-ma.940cmr7_04_1f.two_telephone_in_7_days",
        applies_to=frozenset({Channel.CALL, Channel.SMS}),
        counted_channels=frozenset({Channel.CALL, Channel.SMS}),
        counted=Counted.CONNECTED,
        limit=2,
        days=7,
        what="telephone communications (calls, texts, recorded messages)",
        period_text="7 days",
    )
    sources[ma_cap.rule_id] = (
        "940 CMR 7.04(1)(f): a creditor collecting its own loans makes at most 2 telephone "
        "communications (calls, texts, recorded messages) per 7 days to a personal number, "
        "per debt. Counted: connected calls (answered, rang through, recorded message left) "
        "and delivered texts; 7 days as 7×24 h"
    )
    return RulePack(
        "US-MA",
        "2026.1",
        "US",
        "United States, Massachusetts (Regulation F + 940 CMR 7.00)",
        (*rules, ma_cap),
        sources,
    )


# --- UK --------------------------------------------------------------------------------------


def _uk() -> RulePack:
    p = "uk"
    breathing = f"{p}.drs.breathing_space"
    rules: tuple[Rule, ...] = (
        *_suppressions(
            p,
            f"{p}.doorstep.cease_contact",
            f"{p}.conc.7_3_10.refused_channel",
            {
                HoldType.BREATHING_SPACE: breathing,
                HoldType.MENTAL_HEALTH_CRISIS: breathing,
                HoldType.HARDSHIP: f"{p}.conc.7_3_4.forbearance",
            },
        ),
        Requirement(
            f"{p}.conc.7_9_12.visit_notice",
            frozenset({Channel.VISIT}),
            "give the customer notice of the visit's date, likely time and purpose; no visit "
            "to a vulnerable customer, a workplace or a hospital without consent; leave when "
            "asked",
        ),
        LocalHoursRule(
            f"{p}.conc.reasonable_hours",
            _hours((hm(8), hm(21))),
            TIMED_CHANNELS,
            label="UK: reasonable hours, as Doorstep reads them",
        ),
        PreferredHoursRule(f"{p}.conc.7_3_10.preferences"),
    )
    sources = {
        **_policy_sources(p),
        breathing: (
            "Debt Respite Scheme (Breathing Space Moratorium and Mental Health Crisis "
            "Moratorium) (England and Wales) Regulations 2020: standard moratorium up to 60 "
            "days, mental-health crisis moratorium for the treatment + 30 days — stop contact "
            "(and freeze interest and fees). Hold types 'breathing_space', "
            "'mental_health_crisis'"
        ),
        f"{p}.conc.7_3_4.forbearance": (
            "FCA CONC 7.3.4R: forbearance and due consideration for customers in financial "
            "difficulty; a 'hardship' hold stops contact while it is assessed (Doorstep policy)"
        ),
        f"{p}.doorstep.cease_contact": (
            "Doorstep policy: a cease-contact request is a hold (domain glossary); FCA CONC "
            "7.3.10R (honour how the customer wants to be contacted) is the nearest source"
        ),
        f"{p}.conc.7_3_10.refused_channel": (
            "FCA CONC 7.3.10R: honour the customer's stated preferences on how to be contacted"
        ),
        f"{p}.conc.7_9_12.visit_notice": (
            "FCA CONC 7.9.12R–7.9.13G: field visits need notice of date, likely time and "
            "purpose; no visits to vulnerable customers, workplaces or hospitals without "
            "consent; leave when asked. No minimum notice period is given: a requirement on "
            "the visit plan, not a timing rule"
        ),
        f"{p}.conc.reasonable_hours": (
            "FCA CONC 7.3.4R, 7.3.10R, 7.9: contact only at reasonable times. The source gives "
            "NO hours: 08:00–21:00 customer-local every day is Doorstep's own conservative "
            "reading, NOT a confirmed figure. Applied to calls, SMS, e-mail and visits"
        ),
        f"{p}.conc.7_3_10.preferences": (
            "FCA CONC 7.3.10R: honour the customer's stated preferences on when to be "
            "contacted (ContactPreferences.preferred_hours)"
        ),
    }
    return RulePack("UK", "2026.1", "GB", "United Kingdom (FCA CONC, DRS 2020)", rules, sources)


# --- IN --------------------------------------------------------------------------------------


def _in() -> RulePack:
    p = "in"
    rules: tuple[Rule, ...] = (
        *_suppressions(p, f"{p}.doorstep.cease_contact", f"{p}.doorstep.refused_channel"),
        LocalHoursRule(
            f"{p}.rbi2022.hours",
            _hours((hm(8), hm(19))),
            TIMED_CHANNELS,
            label="IN: no calls before 08:00 or at/after 19:00",
        ),
        PreferredHoursRule(f"{p}.doorstep.preferred_hours"),
    )
    sources = {
        **_policy_sources(p),
        f"{p}.doorstep.cease_contact": (
            "Doorstep policy: a cease-contact request is a hold (domain glossary)"
        ),
        f"{p}.doorstep.refused_channel": "Doorstep policy: honour a channel the customer refused",
        f"{p}.doorstep.preferred_hours": (
            "Doorstep policy (issue: honour customer preferences): contact only inside the "
            "customer's stated preferred hours, on top of the legal hours"
        ),
        f"{p}.rbi2022.hours": (
            "RBI, recovery agents (Aug 2022): no calls before 08:00 or after 19:00 (19:00 "
            "itself is refused). The source names calls; Doorstep applies the hours to SMS, "
            "e-mail and visits too (conservative). Letters are not timed"
        ),
    }
    return RulePack("IN", "2026.1", "IN", "India (RBI recovery agents 2022)", rules, sources)


# --- AU --------------------------------------------------------------------------------------


def _au() -> RulePack:
    p = "au"
    weekday = ((hm(7, 30), hm(21)),)
    weekend = ((hm(9), hm(21)),)
    phone_hours = {**dict.fromkeys(range(5), weekday), **dict.fromkeys((5, 6), weekend)}
    remote = frozenset({Channel.CALL, Channel.SMS, Channel.EMAIL})
    capped = ALL_CHANNELS - {Channel.VISIT}
    rules: tuple[Rule, ...] = (
        *_suppressions(p, f"{p}.doorstep.cease_contact", f"{p}.doorstep.refused_channel"),
        PublicHolidayRule(f"{p}.accc.public_holiday", "AU"),
        LocalHoursRule(
            f"{p}.accc.phone_hours",
            phone_hours,
            remote,
            label="AU: phone contact Mon–Fri 07:30–21:00, weekends 09:00–21:00",
        ),
        LocalHoursRule(
            f"{p}.accc.face_to_face_hours",
            _hours((hm(9), hm(21))),
            frozenset({Channel.VISIT}),
            label="AU: face-to-face contact 09:00–21:00",
        ),
        PreferredHoursRule(f"{p}.accc.preferred_hours"),
        RollingCapRule(
            f"{p}.accc.3_per_week",
            applies_to=capped,
            counted_channels=capped,
            counted=Counted.CONNECTED,
            limit=3,
            days=7,
            what="contacts",
            period_text="7 days",
        ),
        RollingCapRule(
            f"{p}.accc.10_per_month",
            applies_to=capped,
            counted_channels=capped,
            counted=Counted.CONNECTED,
            limit=10,
            days=30,
            months=1,
            what="contacts",
            period_text="month (at least 30 days)",
        ),
    )
    guideline = "ACCC/ASIC Debt collection guideline: for collectors and creditors (2021)"
    sources = {
        **_policy_sources(p),
        f"{p}.doorstep.cease_contact": (
            "Doorstep policy: a cease-contact request is a hold (domain glossary)"
        ),
        f"{p}.doorstep.refused_channel": (
            f"{guideline}: respect the debtor's reasonable wishes on contact (Doorstep policy: "
            "a refused channel is never used)"
        ),
        f"{p}.accc.public_holiday": (
            f"{guideline}, part 2 §4: no contact on national public holidays, in the debtor's "
            "local date. Calendar: the `holidays` package, AU national holidays only (no "
            "state holidays). Calls, SMS, e-mail and visits; letters are not timed"
        ),
        f"{p}.accc.phone_hours": (
            f"{guideline}, part 2 §4: telephone contact Mon–Fri 07:30–21:00, weekends "
            "09:00–21:00, debtor-local. Doorstep applies the phone hours to SMS and e-mail "
            "too (the domain brief gives no separate hours for them)"
        ),
        f"{p}.accc.preferred_hours": (
            f"{guideline}, part 2 §4: respect the debtor's reasonable wishes and limit contact "
            "to the times they asked for (not in the domain brief's table; Doorstep policy "
            "for every pack)"
        ),
        f"{p}.accc.face_to_face_hours": (
            f"{guideline}, part 2 §4: face-to-face contact 09:00–21:00 every day"
        ),
        f"{p}.accc.3_per_week": (
            f"{guideline}, part 2 §5: at most 3 contacts a week, per account, counting contact "
            "actually made (not attempts); face-to-face contact excluded. Doorstep counts "
            "connected calls (rang through, answered, voicemail) and delivered messages and "
            "letters, over a rolling 7×24 h"
        ),
        f"{p}.accc.10_per_month": (
            f"{guideline}, part 2 §5: at most 10 contacts a month, per account; counted as for "
            "the weekly cap. 'Month' is not defined: Doorstep counts a contact for one calendar "
            "month and never less than 30 days (satisfies both readings)"
        ),
    }
    return RulePack("AU", "2026.1", "AU", "Australia (ACCC/ASIC guideline)", rules, sources)


# --- registry --------------------------------------------------------------------------------


class PackRegistry:
    """Packs by id and version; the newest version of an id is its default."""

    def __init__(self, packs: Iterable[RulePack] = ()) -> None:
        self._packs: dict[str, dict[str, RulePack]] = {}
        for pack in packs:
            self.register(pack)

    def register(self, pack: RulePack) -> None:
        versions = self._packs.setdefault(pack.id, {})
        if pack.version in versions:
            raise ValueError(f"pack {pack.key} is already registered")
        versions[pack.version] = pack

    def available(self) -> tuple[RulePack, ...]:
        """Every registered pack version, by id then version."""
        return tuple(
            self._packs[pack_id][version]
            for pack_id in sorted(self._packs)
            for version in sorted(self._packs[pack_id], key=_version_key)
        )

    def get(self, name: str, version: str | None = None) -> RulePack:
        """``get("US-MA")`` (newest), ``get("US-MA", "2026.1")`` or ``get("US-MA@2026.1")``."""
        pack_id, _, pinned = name.strip().partition("@")
        if pinned and version and pinned != version:
            raise UnknownPackError(f"pack name {name!r} conflicts with version {version!r}")
        version = version or pinned or None
        versions = self._packs.get(pack_id.upper())
        if not versions:
            known = ", ".join(sorted(self._packs)) or "none"
            raise UnknownPackError(f"unknown contact-rule pack {name!r}; available: {known}")
        if version is None:
            return versions[max(versions, key=_version_key)]
        try:
            return versions[version]
        except KeyError:
            known = ", ".join(sorted(versions, key=_version_key))
            raise UnknownPackError(
                f"contact-rule pack {pack_id.upper()} has no version {version!r}; "
                f"available: {known}"
            ) from None


def _version_key(version: str) -> tuple[int, int]:
    year, _, revision = version.partition(".")
    return int(year), int(revision)


CN = _cn()
US = _us()
US_MA = _us_ma()
UK = _uk()
IN = _in()
AU = _au()

REGISTRY = PackRegistry((CN, US, US_MA, UK, IN, AU))


def available_packs() -> tuple[RulePack, ...]:
    """Every built-in pack version (``pack.key`` is the configuration name)."""
    return REGISTRY.available()


def pack_for(name: str, version: str | None = None) -> RulePack:
    """The pack a bank/product configuration names: ``"US-MA"`` or ``"US-MA@2026.1"``.

    Raises ``UnknownPackError`` (a ``LookupError``) naming the available packs.
    """
    return REGISTRY.get(name, version)
