"""The one list of redaction strategies: name -> a function turning one detected value into its replacement.

The names are exactly those the policy format accepts (proxy.policy.schema.Strategy). Each strategy lives in its
own module; this registry gives them one calling convention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from proxy.redaction.drop import drop
from proxy.redaction.encrypt import encrypt
from proxy.redaction.keyed_hash import keyed_hash
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.mask import MaskStyle, mask
from proxy.redaction.placeholder import placeholder
from proxy.redaction.pseudonyms import PseudonymMap


class StrategyName(StrEnum):
    MASK = "mask"
    PLACEHOLDER = "placeholder"
    HASH = "hash"
    ENCRYPT = "encrypt"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class StrategyInputs:
    """What a strategy may use besides the value: the conversation's map, the keys, the mask style."""

    pmap: PseudonymMap
    keys: RedactionKeys
    mask_style: MaskStyle = field(default_factory=MaskStyle)


Strategy = Callable[[str, str, StrategyInputs], str]  # (entity type, value, inputs) -> replacement text


def _encrypt(entity_type: str, value: str, inputs: StrategyInputs) -> str:
    token = encrypt(entity_type, value, inputs.keys)
    # Registered so that restore puts back exactly the tokens this conversation issued, and nothing else.
    inputs.pmap.register(token, entity_type, value)
    return token


STRATEGIES: Mapping[str, Strategy] = MappingProxyType({
    StrategyName.MASK: lambda entity_type, value, inputs: mask(value, inputs.mask_style),
    StrategyName.PLACEHOLDER: lambda entity_type, value, inputs: placeholder(entity_type, value, inputs.pmap),
    StrategyName.HASH: lambda entity_type, value, inputs: keyed_hash(entity_type, value, inputs.keys.hmac_key),
    StrategyName.ENCRYPT: _encrypt,
    StrategyName.DROP: lambda entity_type, value, inputs: drop(value),
})
