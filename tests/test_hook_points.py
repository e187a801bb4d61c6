"""The reference server's extension points are declared: a deviation hooking a misspelt point fails when it is
switched on, instead of silently changing nothing."""
from __future__ import annotations

import pytest

from conformance.mock import registry
from conformance.mock.faults import REGISTRY, Active, Deviation, only


def test_every_fault_and_variant_hooks_only_declared_points():
    for name in REGISTRY:
        Active((name,))


def test_a_misspelt_point_fails_when_switched_on(monkeypatch):
    monkeypatch.setitem(REGISTRY, "misspelt", Deviation("misspelt", "fault", "typo", only("phone_vaild", lambda v, **_: True),
                                                        "CREATE-422-PHONE-NOT-E164"))
    with pytest.raises(ValueError, match="misspelt hooks into undeclared point"):
        Active(("misspelt",))


def test_the_app_cannot_fold_through_an_undeclared_point_or_with_other_arguments():
    active = Active(())
    with pytest.raises(TypeError, match="phone_vaild"):
        active.apply("phone_vaild", True, phone="+244912345678")
    with pytest.raises(TypeError, match="phone_valid"):
        active.apply("phone_valid", True, number="+244912345678")
    assert active.apply("phone_valid", True, phone="+244912345678") is True


def test_a_declaration_carries_every_rule_and_is_made_once(monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", {})
    registry.fault("shown_twice", "typo", only("phone_valid", lambda v, **_: True), "CREATE-422-PHONE-NOT-E164",
                   also=("SPEC-RESPONSES-CONFORM",))
    assert registry.REGISTRY["shown_twice"].rules == ("CREATE-422-PHONE-NOT-E164", "SPEC-RESPONSES-CONFORM")
    with pytest.raises(ValueError, match="shown_twice is declared twice"):
        registry.variant("shown_twice", "again", only("phone_valid", lambda v, **_: True))
    with pytest.raises(ValueError, match="must name the rule"):
        registry.fault("breaks_nothing", "typo", only("phone_valid", lambda v, **_: True), "")
    registry.variant("legal", "allowed", only("order", lambda order, **_: order))
    assert registry.REGISTRY["legal"].kind == "variant" and registry.REGISTRY["legal"].rules == ()
