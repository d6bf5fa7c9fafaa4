"""Which bucket each holding falls in: a model's targets as arrays, for the drift engine.

Model code m is the index of the model in ``model_ids``, M (= len) for no model. In model m,
local bucket i < count[m] is the target start[m] + i, in model order (weight descending, then
target_id); local bucket count[m] is "unassigned" (the only bucket when there is no model).
Per-target arrays end with an entry for "unassigned".

A security-level target collects its security and its equivalents (a security claimed twice
goes to the target naming it, else the lowest target_id); a class-level target collects the
rest of its class; anything else is unassigned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from portfolios.bands import UNASSIGNED_ABS_BAND
from portfolios.drift.columns import (
    decimal_text,
    find_ids,
    id_array,
    id_values,
    sorted_unique_ids,
    unscaled,
)
from portfolios.drift.exact import POINT

if TYPE_CHECKING:
    from portfolios.drift.engine import DriftInputs

UNASSIGNED = "unassigned"


class TargetBuckets:
    """The targets of every model in a chunk, and the (model × column) bucket table."""

    def __init__(self, inputs: DriftInputs, entity_models: np.ndarray) -> None:
        t = inputs.targets
        model, target_id = id_values(t["model_id"]), id_values(t["target_id"])
        cls = id_values(t["asset_class_id"], nullable=True)
        sec = id_values(t["security_id"], nullable=True)
        if ((cls >= 0) == (sec >= 0)).any():
            raise ValueError("each target names either an asset class or a security, not both")
        sorted_unique_ids(t["target_id"], "targets.target_id")
        weight = unscaled(t["weight"], 4, "targets.weight")[0]
        abs_band = unscaled(t["abs_band"], 4, "targets.abs_band")[0]
        rel_band = unscaled(t["rel_band"], 4, "targets.rel_band")[0]

        ids = np.unique(np.concatenate([model, entity_models]))
        self.model_ids = ids[ids >= 0]
        order = np.lexsort((target_id, -weight, model))
        tmodel = np.searchsorted(self.model_ids, model[order])
        self.count = np.bincount(tmodel, minlength=len(self.model_ids) + 1)
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]])
        local = np.arange(len(order)) - self.start[tmodel]
        self.n = len(order)
        self.weight = np.append(weight[order], 0)
        self.abs_band = np.append(abs_band[order], int(UNASSIGNED_ABS_BAND * POINT))
        self.rel_band = np.append(rel_band[order], 0)
        self.target_id = np.append(target_id[order], -1)
        cls, sec = cls[order], sec[order]
        self._set_bucket_fields(cls, sec)
        self._set_class_table(cls, tmodel, local, inputs.cash_class_id)
        self._set_security_table(target_id[order], sec, tmodel, local, inputs.equivalents)

    def _set_bucket_fields(self, cls: np.ndarray, sec: np.ndarray) -> None:
        """Per target (in model order, then unassigned): its label and its fixed fields."""
        by_class = cls >= 0
        label = np.char.add(
            np.where(by_class, "class:", "security:"), np.maximum(cls, sec).astype(str)
        )
        self.label = pa.array([*label.tolist(), UNASSIGNED], pa.string())
        is_target = np.arange(self.n + 1) < self.n
        self.fixed = {  # bucket fields that only depend on the target
            "target_id": id_array(self.target_id),
            "asset_class_id": id_array(np.append(cls, -1)),
            "security_id": id_array(np.append(sec, -1)),
            "target": decimal_text(self.weight, 4),
            "abs_band": decimal_text(self.abs_band, 4),
            "rel_band": decimal_text(self.rel_band, 4, is_target),
        }

    def _set_class_table(
        self, cls: np.ndarray, tmodel: np.ndarray, local: np.ndarray, cash_class_id: int
    ) -> None:
        """Class-level targets: a (model, class) table; the cash class always has a column."""
        by_class = cls >= 0
        self.cls_ids = np.unique(np.append(cls[by_class], cash_class_id))
        self.cash_k = int(np.searchsorted(self.cls_ids, cash_class_id))
        self.cls_local = np.full((len(self.count), len(self.cls_ids)), -1, np.int64)
        self.cls_local[tmodel[by_class], np.searchsorted(self.cls_ids, cls[by_class])] = local[
            by_class
        ]

    def _set_security_table(
        self,
        target_id: np.ndarray,
        sec: np.ndarray,
        tmodel: np.ndarray,
        local: np.ndarray,
        equivalents: pd.DataFrame,
    ) -> None:
        """Security-level targets and equivalents: a (model, security) table over the few
        securities they name. The target naming a security wins, then the lowest target_id.
        """
        own = pd.DataFrame({"tid": target_id, "m": tmodel, "local": local, "sec": sec})
        own = own[sec >= 0]  # each target names a class or a security
        eq = pd.DataFrame(
            {
                "tid": id_values(equivalents["target_id"]),
                "sec": id_values(equivalents["security_id"]),
            }
        )
        unknown = ~eq["tid"].isin(target_id)
        if unknown.any():
            raise ValueError(f"equivalents name unknown targets: {eq['tid'][unknown].tolist()[:5]}")
        eq = eq.merge(own.drop(columns="sec"), on="tid")  # class-level targets drop out here
        entries = pd.concat([own.assign(rank=0), eq.assign(rank=1)], ignore_index=True)
        entries = entries.sort_values(["m", "sec", "rank", "tid"]).drop_duplicates(["m", "sec"])
        e_sec = entries["sec"].to_numpy(np.int64)
        self.sec_ids = np.unique(e_sec)
        self.sec_local = np.full((len(self.count), len(self.sec_ids)), -1, np.int64)
        self.sec_local[entries["m"].to_numpy(np.int64), np.searchsorted(self.sec_ids, e_sec)] = (
            entries["local"].to_numpy(np.int64)
        )

    def code(self, model_ids: np.ndarray) -> np.ndarray:
        """Model codes of the given model ids (-1: no model → M)."""
        codes = np.searchsorted(self.model_ids, model_ids)
        return np.where(model_ids >= 0, codes, len(self.model_ids))

    def row_columns(self, cls: np.ndarray, sec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: its class column (-1: no class target anywhere) and its column in the
        resolved (model × column) bucket table ``self.table`` built here."""
        k, p = find_ids(self.cls_ids, cls), find_ids(self.sec_ids, sec)
        n_cls, n_sec = len(self.cls_ids), len(self.sec_ids)
        named = np.flatnonzero(p >= 0)
        sec_cls = np.full(n_sec + 1, -1, np.int64)  # class of each named security, as held
        sec_cls[p[named]] = k[named]
        fallback = np.where(sec_cls[:-1] >= 0, self.cls_local[:, sec_cls[:-1]], -1)
        table = np.concatenate(
            [self.cls_local, np.where(self.sec_local >= 0, self.sec_local, fallback)], axis=1
        )
        table = np.where(table >= 0, table, self.count[:, None])
        self.table = np.concatenate([table, self.count[:, None]], axis=1)  # last: no target
        col = np.where(p >= 0, n_cls + p, np.where(k >= 0, k, n_cls + n_sec))
        return k, col

    def local(self, model: np.ndarray, col: np.ndarray) -> np.ndarray:
        """Local bucket per row: its security's target, its class's target, or unassigned."""
        return self.table.ravel()[model * self.table.shape[1] + col]
