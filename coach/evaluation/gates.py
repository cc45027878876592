"""What a run produced and how each figure stands against its gate: Gate, Metric, TierRun."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.evaluation.scoring import CaseResult


@dataclass(frozen=True)
class Gate:
    gate: float
    target: float | None = None
    critical: bool = False


@dataclass
class Metric:
    name: str
    n: int
    value: float | None
    gate: Gate | None = None
    reported_only: bool = False  # a raw-model figure or a judge figure below its kappa bar

    @property
    def status(self) -> str:
        if self.value is None or self.gate is None or self.reported_only:
            return "report"
        return "PASS" if self.value >= self.gate.gate - 1e-9 else "FAIL"

    @property
    def below_target(self) -> bool:
        return bool(
            self.gate
            and self.gate.target
            and self.value is not None
            and self.value < self.gate.target
        )


@dataclass
class TierRun:
    tier: str
    results: list[CaseResult] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed_gates(self) -> list[Metric]:
        return [m for m in self.metrics.values() if m.status == "FAIL"]
