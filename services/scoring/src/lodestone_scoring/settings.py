from lodestone_common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    service_name: str = "scoring"
    http_port: int = 8002
    # How often decayed scores due to be announced are looked for (see domain/verdicts.py:
    # a point or 5% lower, a band or the MQL threshold crossed).
    decay_sweep_seconds: float = 60.0
