"""The index chain (METHOD §2) as linear coefficients on the item rates, for all groups at once.

Given which items have data in a group, every index is a fixed linear combination
``I = Σ_q c_q · S_q`` of item rates: element = mean of its items with data (or its general
item), sub-index = weighted mean of its elements, SIPAS = weighted mean of the two sub-indices.
The chain is linear in the rates, so ``c`` is also the exact gradient used for the SE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.instrument import Instrument

__all__ = ["ChainCoefficients", "chain_coefficients", "estimate_codes"]


@dataclass(frozen=True)
class ChainCoefficients:
    """Coefficients ``coef[g, m, q]`` of estimate m on item q in group g, and whether m exists.

    Estimates are ordered: items, elements, then ``service``, ``policy``, ``sipas``.
    ``reasons[g]`` lists the flags that explain every null estimate of group g.
    """

    codes: tuple[str, ...]
    coef: np.ndarray
    defined: np.ndarray
    reasons: tuple[tuple[str, ...], ...]


def estimate_codes(instrument: Instrument) -> tuple[str, ...]:
    """Names of the estimates in coefficient order."""
    items = tuple(i.code for i in instrument.index_items)
    return (*items, *instrument.elements, "service", "policy", "sipas")


def _element_rows(has: np.ndarray, instrument: Instrument) -> tuple[np.ndarray, np.ndarray]:
    items = [i.code for i in instrument.index_items]
    coef = np.zeros((has.shape[0], len(instrument.elements), len(items)))
    for e, element in enumerate(instrument.elements.values()):
        general = element.general_item
        if instrument.chain.element_method == "general_item" and general and element.subindex == "service":
            members = np.array([code == general for code in items])
        else:
            members = np.array([code in element.items for code in items])
        used = has & members
        count = used.sum(axis=1, keepdims=True)
        coef[:, e, :] = np.divide(used, count, out=np.zeros(used.shape), where=count > 0)
    return coef, coef.sum(axis=2) > 0


def _subindex_rows(
    element_coef: np.ndarray, element_ok: np.ndarray, instrument: Instrument
) -> tuple[np.ndarray, np.ndarray]:
    subs = ("service", "policy")
    coef = np.zeros((element_coef.shape[0], len(subs), element_coef.shape[2]))
    ok = np.zeros((element_coef.shape[0], len(subs)), dtype=bool)
    kinds = np.array([e.subindex for e in instrument.elements.values()])
    for s, sub in enumerate(subs):
        members = kinds == sub
        ok[:, s] = element_ok[:, members].all(axis=1) & members.any()
        coef[:, s, :] = element_coef[:, members, :].mean(axis=1) if members.any() else 0.0
    weights = instrument.chain.subindex_weights
    sipas = weights["service"] * coef[:, 0, :] + weights["policy"] * coef[:, 1, :]
    coef = np.concatenate([coef, sipas[:, None, :]], axis=1)
    ok = np.concatenate([ok, ok.all(axis=1, keepdims=True)], axis=1)
    return coef * ok[:, :, None], ok


def _reasons(has: np.ndarray, element_ok: np.ndarray, sub_ok: np.ndarray, instrument: Instrument):
    items = [i.code for i in instrument.index_items]
    elements = list(instrument.elements)
    out = []
    for g in range(has.shape[0]):
        flags = [f"no_data:{items[q]}" for q in np.flatnonzero(~has[g])]
        flags += [f"incomplete:{elements[e]}" for e in np.flatnonzero(~element_ok[g])]
        flags += [
            f"missing_{name}" for name, ok in zip(("service", "policy"), sub_ok[g, :2], strict=True) if not ok
        ]
        out.append(tuple(flags))
    return tuple(out)


def chain_coefficients(has: np.ndarray, instrument: Instrument) -> ChainCoefficients:
    """Coefficients of every estimate on the item rates, per group.

    Parameters
    ----------
    has : (G, Q) bool array
        Whether item q has a valid answer (positive weighted denominator) in group g.

    Notes
    -----
    ``B_k = mean_{q ∈ k, has_q} S_q``; ``service = Σ_k B_k / K`` when every element exists;
    ``SIPAS = w_p · policy + w_s · service``. A null estimate has all coefficients 0.
    """
    n_items = has.shape[1]
    item_coef = np.broadcast_to(np.eye(n_items) * has[:, None, :], (has.shape[0], n_items, n_items))
    element_coef, element_ok = _element_rows(has, instrument)
    sub_coef, sub_ok = _subindex_rows(element_coef, element_ok, instrument)
    coef = np.concatenate([item_coef, element_coef, sub_coef], axis=1)
    defined = np.concatenate([has, element_ok, sub_ok], axis=1)
    return ChainCoefficients(
        estimate_codes(instrument), coef, defined, _reasons(has, element_ok, sub_ok, instrument)
    )
