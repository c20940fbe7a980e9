"""How a field visit must be conducted under a pack: team size, notice, recording, consent.

The engine's ``Requirement`` rules say these things in words on every visit decision; this is the
same content as figures the visit planner and the appointment notice can enforce. Where a pack's
source gives no figure, the value is Doorstep's own conservative reading and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from doorstep_shared.contact_rules.packs import RulePack

_DOORSTEP_NOTICE = (
    "Doorstep policy: an appointment notice goes out at least 24 hours before the visit window "
    "(no figure in the pack's sources)"
)
_DOORSTEP_PLACES = (
    "Doorstep policy for every pack (FCA CONC 7.9.13G as the model): no visit at a workplace, "
    "hospital or care home, nor to a customer flagged vulnerable, without recorded consent"
)


@dataclass(frozen=True, slots=True)
class VisitConduct:
    pack_key: str
    min_team_size: int
    notice_period: timedelta  # appointment notice sent at least this long before the window
    recording_required: bool  # the outcome must reference an audio/video recording
    consent_for_sensitive_places: bool  # workplace / hospital / care home need consent
    consent_for_vulnerable: bool
    rule_ids: tuple[str, ...]  # the pack rules these figures come from
    sources: tuple[str, ...]  # where each figure comes from, in words


def visit_conduct(pack: RulePack) -> VisitConduct:
    country = pack.id.split("-")[0]
    if country == "CN":
        return VisitConduct(
            pack_key=pack.key,
            min_team_size=2,
            notice_period=timedelta(hours=24),
            recording_required=True,
            consent_for_sensitive_places=True,
            consent_for_vulnerable=True,
            rule_ids=("cn.cba2026.visit_conduct",),
            sources=(
                "CBA guideline (30 Jan 2026): home visits by more than one collector "
                "('multiple'; exact headcount not confirmed, Doorstep requires 2)",
                "NIFA convention (2018) art. 21: record visits (audio/video)",
                _DOORSTEP_NOTICE,
                _DOORSTEP_PLACES,
            ),
        )
    if country == "UK":
        return VisitConduct(
            pack_key=pack.key,
            min_team_size=1,
            notice_period=timedelta(hours=48),
            recording_required=False,
            consent_for_sensitive_places=True,
            consent_for_vulnerable=True,
            rule_ids=("uk.conc.7_9_12.visit_notice",),
            sources=(
                "FCA CONC 7.9.12R: notice of the visit's date, likely time and purpose; no "
                "minimum period given, 48 hours is Doorstep's conservative reading",
                "FCA CONC 7.9.13G: no visit to a vulnerable customer, a workplace or a "
                "hospital without consent",
            ),
        )
    return VisitConduct(
        pack_key=pack.key,
        min_team_size=1,
        notice_period=timedelta(hours=24),
        recording_required=False,
        consent_for_sensitive_places=True,
        consent_for_vulnerable=True,
        rule_ids=(),
        sources=(_DOORSTEP_NOTICE, _DOORSTEP_PLACES),
    )
