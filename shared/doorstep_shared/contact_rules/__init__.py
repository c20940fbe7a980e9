"""Contact-rule engine: may this contact happen now, under the pack that binds the bank?

    from doorstep_shared.contact_rules import ContactAttempt, Channel, decide, pack_for

    decision = decide(pack_for("US-MA"), ContactAttempt(channel=Channel.SMS, now=now,
                                                        timezone="America/New_York"))
    decision.outcome   # allowed / deferred (see not_before) / suppressed
    decision.rule_id, decision.pack_id, decision.pack_version, decision.reason

Pure library: no I/O, no clock, no state; the services pass ``now`` and the contact history.
"""

from doorstep_shared.contact_rules.engine import MAX_STEPS, SEARCH_HORIZON, RuleDefectError, decide
from doorstep_shared.contact_rules.model import (
    Channel,
    ContactAttempt,
    ContactPreferences,
    Decision,
    HoldType,
    LocalWindow,
    Outcome,
    PastContact,
)
from doorstep_shared.contact_rules.packs import (
    AU,
    CN,
    IN,
    REGISTRY,
    UK,
    US,
    US_MA,
    PackRegistry,
    RulePack,
    UnknownPackError,
    available_packs,
    pack_for,
)
from doorstep_shared.contact_rules.timezone import (
    ResolvedZone,
    TimezoneUnresolvedError,
    ZoneSource,
    resolve_timezone,
)
from doorstep_shared.contact_rules.visit_conduct import VisitConduct, visit_conduct

__all__ = [
    "AU",
    "CN",
    "IN",
    "MAX_STEPS",
    "REGISTRY",
    "SEARCH_HORIZON",
    "UK",
    "US",
    "US_MA",
    "Channel",
    "ContactAttempt",
    "ContactPreferences",
    "Decision",
    "HoldType",
    "LocalWindow",
    "Outcome",
    "PackRegistry",
    "PastContact",
    "ResolvedZone",
    "RuleDefectError",
    "RulePack",
    "TimezoneUnresolvedError",
    "UnknownPackError",
    "VisitConduct",
    "ZoneSource",
    "available_packs",
    "decide",
    "pack_for",
    "resolve_timezone",
    "visit_conduct",
]
