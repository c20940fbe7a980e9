"""One call answers "may this contact happen now?": ``decide(pack, attempt)``.

1. Suppression rules, in pack order: the first that objects decides (``SUPPRESSED``).
2. Time rules that apply to the attempt: if none objects at ``attempt.now`` → ``ALLOWED``.
   Otherwise search forward: move to the latest ``next_ok`` of the objecting rules and ask
   again, until every rule agrees (→ ``DEFERRED`` with ``not_before``). Because each rule's
   ``next_ok`` is the earliest instant it allows on its own, the search never steps past an
   instant all rules allow, so ``not_before`` is the earliest lawful instant. The search is
   bounded (``SEARCH_HORIZON``, ``MAX_STEPS``): past that the answer is ``SUPPRESSED`` with a
   "no lawful window" reason, e.g. when the customer's preferred hours never meet the legal ones.

The engine is pure: no I/O, no clock (``attempt.now`` is the clock), no state.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from doorstep_shared.contact_rules.localtime import describe_local
from doorstep_shared.contact_rules.model import ContactAttempt, Decision, Outcome
from doorstep_shared.contact_rules.packs import RulePack
from doorstep_shared.contact_rules.rules import OptOutRequirement, TimeRule

SEARCH_HORIZON = timedelta(days=400)
MAX_STEPS = 1_000


class RuleDefectError(RuntimeError):
    """A time rule broke its contract (``next_ok`` earlier than an instant it blocks)."""


def decide(pack: RulePack, attempt: ContactAttempt) -> Decision:
    """Whether ``attempt`` may happen at ``attempt.now`` under ``pack``, and why."""
    attempt = _clamp_history(attempt)
    requirement_ids: list[str] = []
    requirement_texts: list[str] = []
    requires_opt_out = False
    for requirement in pack.requirements:
        if requirement.applies(attempt):
            requirement_ids.append(requirement.rule_id)
            requirement_texts.append(requirement.text)
            requires_opt_out = requires_opt_out or isinstance(requirement, OptOutRequirement)

    def decision(
        outcome: Outcome,
        rule_id: str,
        reason: str,
        not_before: datetime | None = None,
        blocking_rule_ids: tuple[str, ...] = (),
    ) -> Decision:
        return Decision(
            outcome=outcome,
            rule_id=rule_id,
            pack_id=pack.id,
            pack_version=pack.version,
            reason=reason,
            channel=attempt.channel,
            evaluated_at=attempt.now,
            timezone=attempt.timezone,
            requires_opt_out=requires_opt_out,
            requirement_rule_ids=tuple(requirement_ids),
            requirements=tuple(requirement_texts),
            timezone_source=attempt.timezone_source,
            not_before=not_before,
            blocking_rule_ids=blocking_rule_ids,
        )

    for suppression in pack.suppression_rules:
        verdict = suppression.check(attempt)
        if verdict is not None:
            return decision(Outcome.SUPPRESSED, verdict.rule_id, verdict.reason)

    rules = [rule for rule in pack.time_rules if rule.applies(attempt)]
    now = attempt.now
    first: tuple[TimeRule, str] | None = None
    for rule in rules:
        why = rule.blocked(attempt, now)
        if why is not None:
            first = (rule, why)
            break
    if first is None:
        local = describe_local(now, attempt.zone, now)
        why = (
            f"all {len(rules)} applicable time rules of {pack.key} agree"
            if rules
            else f"no time rule of {pack.key} applies to a {attempt.channel.value}"
        )
        return decision(
            Outcome.ALLOWED,
            pack.allowed_rule_id,
            f"{attempt.channel.value} allowed at {local} {attempt.timezone}: {why}",
        )

    first_rule, first_reason = first
    found, at, pushers, failure = _search(rules, attempt)
    if not found:
        involved = ", ".join(pushers)
        return decision(
            Outcome.SUPPRESSED,
            pack.no_window_rule_id,
            f"{first_reason}; no lawful window within {SEARCH_HORIZON.days} days: {failure} "
            f"(rules involved: {involved})",
            blocking_rule_ids=tuple(pushers),
        )
    others = [rule_id for rule_id in pushers if rule_id != first_rule.rule_id]
    also = f"; later also held by {', '.join(others)}" if others else ""
    return decision(
        Outcome.DEFERRED,
        first_rule.rule_id,
        f"{first_reason}; deferred to {describe_local(at, attempt.zone, now)} "
        f"{attempt.timezone}{also}",
        not_before=at.astimezone(UTC),
        blocking_rule_ids=(first_rule.rule_id, *others),
    )


def _search(
    rules: list[TimeRule], attempt: ContactAttempt
) -> tuple[bool, datetime, list[str], str]:
    """(found, instant, rule ids that pushed, why not found) for the earliest common instant."""
    now = attempt.now
    limit = now + SEARCH_HORIZON
    at = now
    pushers: list[str] = []
    for _step in range(MAX_STEPS):
        latest = at
        for rule in rules:
            if rule.blocked(attempt, at) is None:
                continue
            if rule.rule_id not in pushers:
                pushers.append(rule.rule_id)
            nxt = rule.next_ok(attempt, at)
            if nxt is None:
                return False, at, pushers, f"{rule.rule_id} never allows it again"
            if nxt <= at:
                raise RuleDefectError(
                    f"{rule.rule_id}: next_ok({at.isoformat()}) = {nxt.isoformat()} "
                    "does not move past an instant the rule blocks"
                )
            latest = max(latest, nxt)
        if latest == at:
            return True, at, pushers, ""
        at = latest
        if at > limit:
            return False, at, pushers, "the rules never agree on an instant"
    return False, at, pushers, f"the rules did not agree after {MAX_STEPS} steps"


def _clamp_history(attempt: ContactAttempt) -> ContactAttempt:
    """Contacts stamped after ``now`` (clock skew between services) count as made ``now``."""
    if all(contact.at <= attempt.now for contact in attempt.history):
        return attempt
    history = tuple(
        contact if contact.at <= attempt.now else dataclasses.replace(contact, at=attempt.now)
        for contact in attempt.history
    )
    return dataclasses.replace(attempt, history=history)
